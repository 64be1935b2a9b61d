"""Calling an ASGI application in process, as a server would: a scope, a receive, a send.

No server is imitated beyond the ASGI interface itself; the tests through
real servers are in test_servers.py.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def http_scope(path: str = "/sync/", *, method: str = "GET", query: bytes = b"",
               headers: list[tuple[bytes, bytes]] | None = None, root_path: str = "",
               raw_path: bytes | None = None, **extra: Any) -> dict[str, Any]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": root_path + path,
             "raw_path": raw_path if raw_path is not None else (root_path + path).encode(),
             "query_string": query, "root_path": root_path,
             "headers": headers if headers is not None else [(b"host", b"testserver")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    scope.update(extra)
    return scope


class Call:
    """One call of the application; messages to it are queued, messages from it recorded."""

    def __init__(self, app: App, scope: dict[str, Any]) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []
        self.received = 0
        self.task = asyncio.ensure_future(app(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        message = await self.inbox.get()
        self.received += 1
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def put(self, message: dict[str, Any]) -> None:
        self.inbox.put_nowait(message)

    async def done(self, timeout: float = 30) -> None:
        await asyncio.wait_for(asyncio.shield(self.task), timeout)

    @property
    def status(self) -> int:
        return int(next(m["status"] for m in self.sent if m["type"] == "http.response.start"))

    @property
    def headers(self) -> dict[bytes, bytes]:
        start = next(m for m in self.sent if m["type"] == "http.response.start")
        return {k.lower(): v for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


async def request(app: App, scope: dict[str, Any], body: bytes = b"") -> Call:
    """Send one request with its whole body and wait for the application to finish."""
    call = Call(app, scope)
    call.put({"type": "http.request", "body": body, "more_body": False})
    await call.done()
    return call
