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


def ws_scope(path: str = "/ws/echo/", *, query: bytes = b"",
             headers: list[tuple[bytes, bytes]] | None = None,
             subprotocols: tuple[str, ...] = (), extension: bool = True,
             **extra: Any) -> dict[str, Any]:
    """A `websocket` scope as servers send it: the handshake's headers, already checked."""
    base = [(b"host", b"testserver"), (b"upgrade", b"websocket"),
            (b"connection", b"Upgrade"), (b"sec-websocket-version", b"13"),
            (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ==")]
    if subprotocols:
        base.append((b"sec-websocket-protocol", ", ".join(subprotocols).encode()))
    scope = {"type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "scheme": "ws", "path": path, "raw_path": path.encode(),
             "query_string": query, "root_path": "", "headers": base + (headers or []),
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
             "subprotocols": list(subprotocols),
             "extensions": {"websocket.http.response": {}} if extension else {}}
    scope.update(extra)
    return scope


class Socket(Call):
    """One `websocket` scope: connect sent, messages from the application awaited in order."""

    def __init__(self, app: App, scope: dict[str, Any]) -> None:
        super().__init__(app, scope)
        self.read = 0
        self.put({"type": "websocket.connect"})

    async def next(self, timeout: float = 20) -> dict[str, Any]:
        """The next message the application sends."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.sent) <= self.read:
            if self.task.done():
                self.task.result()
                raise AssertionError(f"the application ended; it sent {self.sent}")
            assert loop.time() < deadline, f"nothing sent within {timeout} s: {self.sent}"
            await asyncio.sleep(0.005)
        self.read += 1
        return self.sent[self.read - 1]

    async def accepted(self) -> dict[str, Any]:
        message = await self.next()
        assert message["type"] == "websocket.accept", message
        return message

    def text(self, data: str) -> None:
        self.put({"type": "websocket.receive", "text": data})

    def data(self, data: bytes) -> None:
        self.put({"type": "websocket.receive", "bytes": data})

    def disconnect(self, code: int = 1000, reason: str = "") -> None:
        self.put({"type": "websocket.disconnect", "code": code, "reason": reason})
