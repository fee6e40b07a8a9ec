"""What keeps the explorer safe to leave running: a request-body limit, bounded model
work, and strict response headers.

- `BodyLimit` (ASGI middleware) refuses a body larger than its limit with 413: at once
  when Content-Length says so, and while streaming when the body outgrows its claim (or
  has none, as with chunked uploads).
- `Gate` runs model work in a small thread pool of its own and refuses work beyond a
  bounded queue with 503, instead of queueing forever.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.exceptions import HTTPException

T = TypeVar("T")

# Everything the page needs comes from this server: no CDN, no inline script.
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
     b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large (limit {limit:,} bytes)")


class BodyLimit:
    """ASGI middleware: request bodies over `max_bytes` are answered 413; every response
    gets SECURITY_HEADERS."""

    def __init__(self, app: Any, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _send_json(send, 413, BodyTooLarge(self.max_bytes).detail)
            return
        received = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def send_with_headers(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []),
                                                  *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge as exc:  # raised where no exception handler could catch it
            if started:
                raise
            await _send_json(send, 413, exc.detail)


async def _send_json(send: Callable, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


class Busy(HTTPException):
    def __init__(self) -> None:
        super().__init__(503, "the model is busy; try again shortly",
                         headers={"Retry-After": "1"})


class Gate:
    """At most `workers` model calls at once, at most `max_pending` admitted in all
    (running + waiting); beyond that, 503 at once. A call counts until its thread is done,
    even when its client has gone away."""

    def __init__(self, *, workers: int = 2, max_pending: int = 16) -> None:
        if workers < 1 or max_pending < workers:
            raise ValueError("need workers >= 1 and max_pending >= workers")
        self.workers, self.max_pending = workers, max_pending
        self.pending = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="vaekit-model")

    def _release(self, _future: Any) -> None:
        with self._lock:
            self.pending -= 1

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            if self.pending >= self.max_pending:
                raise Busy()
            self.pending += 1
        future = self._pool.submit(fn, *args, **kwargs)
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
