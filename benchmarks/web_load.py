"""Load on the latent explorer: concurrent clients on loopback, a fixed number of requests.

Starts `vaekit serve RUN` on a free 127.0.0.1 port (a separate process, as a user would),
then C client threads each send R requests, alternating POST /api/decode (a random z) and
POST /api/sample (n=1). Prints latency percentiles per endpoint, throughput and the count
of 5xx answers, which must be 0 (exit code 1 otherwise).

    .venv/bin/python benchmarks/web_load.py RUN [--clients 8] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time

import httpx

HOST = "127.0.0.1"  # loopback only, by design


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(run_dir: str, port: int, workers: int) -> tuple[subprocess.Popen, dict]:
    server = subprocess.Popen(
        [sys.executable, "-m", "vaekit", "serve", run_dir, "--host", HOST,
         "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"vaekit serve exited: {server.stderr.read().strip()}")
        try:
            info = httpx.get(f"http://{HOST}:{port}/api/info", timeout=2).json()
            return server, info
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("vaekit serve did not answer within 120 s")


def client(base: str, latent_dim: int, n: int, seed: int, results: list) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(n):
            if i % 2 == 0:
                path, body = "/api/decode", {"z": [rng.uniform(-3, 3) for _ in range(latent_dim)]}
            else:
                path, body = "/api/sample", {"n": 1, "temperature": 1.0}
            t0 = time.perf_counter()
            try:
                status = http.post(path, json=body).status_code
            except httpx.HTTPError as exc:
                status = f"error: {type(exc).__name__}"
            results.append((path, status, time.perf_counter() - t0))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", metavar="RUN")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=200, help="per client")
    p.add_argument("--workers", type=int, default=2, help="vaekit serve --workers")
    args = p.parse_args()
    if not (1 <= args.clients <= 64 and 1 <= args.requests <= 10_000):
        raise SystemExit("--clients must be 1..64 and --requests 1..10000")

    port = free_port()
    server, info = start_server(args.run_dir, port, args.workers)
    try:
        base = f"http://{HOST}:{port}"
        results: list = []
        threads = [threading.Thread(target=client, args=(base, info["latent_dim"],
                                                          args.requests, i, results))
                   for i in range(args.clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(10)

    print(f"run {info['run']} ({info['kind']}, latent {info['latent_dim']}); "
          f"{args.clients} clients x {args.requests} requests on {base}; "
          f"server --workers {args.workers}; {os.cpu_count()} CPUs")
    for path in ("/api/decode", "/api/sample"):
        ms = [1000 * s for p_, _, s in results if p_ == path]
        print(f"  {path:12s} n={len(ms):5d}  p50 {percentile(ms, 50):7.1f} ms  "
              f"p99 {percentile(ms, 99):7.1f} ms  max {max(ms):7.1f} ms")
    statuses: dict = {}
    for _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    server_errors = sum(c for s, c in statuses.items() if not isinstance(s, int) or s >= 500)
    print(f"  total {len(results)} requests in {wall:.2f} s: {len(results) / wall:.0f} req/s; "
          f"statuses {dict(sorted(statuses.items(), key=str))}; 5xx or failed: {server_errors}")
    return 1 if server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
