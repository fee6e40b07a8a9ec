"""vaekit serve: the latent explorer (a web page and JSON API) for one trained run."""

from __future__ import annotations

import argparse
import ipaddress

from vaekit.cli.common import err, say

HELP = "explore a run's latent space in the browser (a local web page and JSON API)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN", help="a run directory written by vaekit train, "
                   "or pretrained:NAME (a run shipped with vaekit)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--workers", type=int, default=2,
                   help="model calls run at once (default 2); more waiting ones get 503")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bindable(host: str, port: int) -> None:
    """Fail with one line now, rather than inside uvicorn, when the address is unusable."""
    import socket

    from vaekit.errors import ConfigError

    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                          "choose another --host or --port") from None


def run(args: argparse.Namespace) -> int:
    from vaekit.errors import ConfigError

    if not 1 <= args.port <= 65535:
        raise ConfigError(f"--port must be between 1 and 65535, got {args.port}")
    if not 1 <= args.workers <= 16:
        raise ConfigError(f"--workers must be between 1 and 16, got {args.workers}")
    try:
        import uvicorn

        from vaekit.web.app import LOOPBACK_HOSTS, create_app
        from vaekit.web.service import Explorer
    except ImportError as exc:
        raise ConfigError(f"vaekit serve needs the web extra ({exc.name} is missing): "
                          "pip install 'vaekit[web]'") from None

    local = is_loopback(args.host)
    check_bindable(args.host, args.port)
    say(f"loading {args.run_dir} ...")
    explorer = Explorer(args.run_dir)
    app = create_app(explorer, workers=args.workers, max_pending=8 * args.workers,
                     allowed_hosts=LOOPBACK_HOSTS if local else None)
    if not local:
        err("=" * 78)
        err(f"WARNING: binding {args.host}: the explorer is reachable from other machines.")
        err("It has no authentication: anyone who can connect can use the model and see the")
        err("run's test data. Use the default --host 127.0.0.1 unless you mean this.")
        err("=" * 78)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    say(f"serving run {explorer.info['run']} ({explorer.kind}, latent {explorer.latent_dim}) "
        f"at http://{shown}:{args.port}/  (Ctrl-C to stop)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
