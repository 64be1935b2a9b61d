"""One ASGI `websocket` scope served through the core, as the worker serves an upgrade.

The handshake becomes a Django request (Django's ASGIRequest, method GET)
with an ASGIUpgrade in META[UPGRADE_KEY], and goes through the whole
MIDDLEWARE with request_started and request_finished once for the socket.
A view or middleware that answers with an HTTP response before accepting
is refused: by the `websocket.http.response` extension where the server
offers it (the client sees that very response: a 302 to the login page, a
403), else by `websocket.close` before accept, which the server answers
with HTTP 403 (ASGI spec); its close code, 4000 + the status, only reaches
the log.
"""

from __future__ import annotations

import asyncio
import logging
from typing import IO, Any

from django.core.handlers.asgi import ASGIRequest
from django.urls import set_script_prefix

from ..core.exchange import Exchange, Headers
from ..websocket.transport import UPGRADE_KEY
from .exchange import body_meta, get_script_prefix
from .websocket import ASGIUpgrade, Receive, Send, send_message

logger = logging.getLogger("async_handler.websocket")


def _encode(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("ascii"), value.encode("latin-1")) for name, value in headers]


class HandshakeSink:
    """The core's response to a handshake: a refusal before accept, nothing after."""

    __slots__ = ("_send", "_upgrade", "_extension", "status", "_refused")

    def __init__(self, send: Send, upgrade: ASGIUpgrade, extension: bool) -> None:
        self._send, self._upgrade, self._extension = send, upgrade, extension
        self.status: int | None = None
        self._refused = False

    async def send(self, status: int, reason: str, headers: Headers, body: bytes) -> None:
        await self.start(status, reason, headers)
        await self.write(body)
        await self.end()

    async def start(self, status: int, reason: str, headers: Headers) -> None:
        if self._upgrade.upgraded:  # the socket was the response (view.SocketClosed)
            return
        self.status = status
        if self._extension:
            await send_message(self._send, {"type": "websocket.http.response.start",
                                            "status": status, "headers": _encode(headers)})
        else:
            self._refused = True
            code = 4000 + status if 100 <= status <= 999 else 1008
            await send_message(self._send, {"type": "websocket.close", "code": code})

    async def write(self, data: bytes) -> None:
        if data and self._extension and not self._upgrade.upgraded:
            await send_message(self._send, {"type": "websocket.http.response.body",
                                            "body": data, "more_body": True})

    async def sendfile(self, file: Any, offset: int, count: int) -> bool:
        return False

    async def end(self) -> None:
        if self._extension and not self._upgrade.upgraded and self.status is not None:
            await send_message(self._send, {"type": "websocket.http.response.body",
                                            "body": b""})

    async def refuse(self, status: int, text: str) -> None:
        body = text.encode()
        await self.send(status, "", [("Content-Type", "text/plain; charset=utf-8"),
                                     ("Content-Length", str(len(body)))], body)

    def close_after(self) -> None:
        """The server closes the connection after a refused handshake."""


def handshake_scope(scope: dict[str, Any]) -> dict[str, Any]:
    """The scope as Django's ASGIRequest reads an HTTP one: GET, scheme http or https."""
    http = dict(scope)
    http["method"] = "GET"
    http["scheme"] = "https" if scope.get("scheme") == "wss" else "http"
    return http


async def serve_websocket(core: Any, scope: dict[str, Any], receive: Receive, send: Send,
                          sockets: set[ASGIUpgrade]) -> None:
    """Serve one `websocket` scope; `sockets` holds it while it runs (for shutdown's 1001)."""
    first = await receive()
    if first["type"] != "websocket.connect":  # the client left before the application ran
        return
    task = asyncio.current_task()
    assert task is not None
    client = scope.get("client")
    remote = str(client[0]) if client else ""
    upgrade = ASGIUpgrade(receive, send, task, remote, str(scope.get("http_version", "1.1")))
    http = handshake_scope(scope)

    def make_request(stream: IO[bytes], size: int) -> ASGIRequest:
        set_script_prefix(get_script_prefix(http))
        request = ASGIRequest(http, stream)
        request.META[UPGRADE_KEY] = upgrade
        return request

    extension = "websocket.http.response" in (scope.get("extensions") or {})
    sink = HandshakeSink(send, upgrade, extension)
    sockets.add(upgrade)
    try:
        await core.serve(Exchange(body_meta(scope), None, make_request, sink, remote=remote,
                                  started_kwargs={"scope": scope}))
        if sink.status is not None and not extension:
            logger.info("WebSocket handshake for %s refused with %s; the server has no "
                        "websocket.http.response extension and answers 403", scope["path"],
                        sink.status)
    except asyncio.CancelledError:
        socket = upgrade.socket
        if socket is None or not socket.cancelled_request:
            raise
        task.uncancel()
    except ConnectionError:
        logger.debug("WebSocket client %s left during its handshake: %s", remote,
                     scope.get("path"))
    finally:
        sockets.discard(upgrade)
        await upgrade.stop()
