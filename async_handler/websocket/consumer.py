"""consumer_view: a Channels consumer, unchanged, behind an ordinary Django URL.

`consumer_view(ChatConsumer.as_asgi())` is a websocket_view that runs the
consumer's ASGI application over the view's socket. The handshake has been
through the project's MIDDLEWARE, so the consumer's scope is filled from the
Django request as Channels' AuthMiddlewareStack and URLRouter would fill it:
`user` (resolved, so async consumers may read it on the loop), `session`
(loaded), `cookies`, `url_route` (the URL pattern's args and kwargs),
`headers`, `client`, `server`, `path`, `query_string` and `subprotocols`.
The consumer's own channel layer, groups and handlers work as under Daphne.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from asgiref.sync import sync_to_async

from .socket import WebSocket, WebSocketDisconnect
from .view import websocket_view

AsgiApp = Callable[..., Any]


def _headers(meta: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """The request's headers as ASGI lists them: lower-case names, latin-1 bytes."""
    out = []
    for key, value in meta.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
        else:
            continue
        out.append((name.replace("_", "-").lower().encode("latin-1"),
                    str(value).encode("latin-1")))
    return out


def _address(host: str | None, port: str | int | None) -> list[Any] | None:
    """[host, port]; META's port is a str from the worker, an int from Django's ASGIRequest."""
    if not host:
        return None
    port = str(port or "")
    return [host, int(port) if port.isdigit() else 0]


async def build_scope(request: Any, ws: WebSocket, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> dict[str, Any]:
    """The ASGI websocket scope of `request`, with what Channels' middleware would add."""
    meta = request.META
    raw_path = str(meta.get("RAW_URI", request.path)).partition("?")[0]
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": str(meta.get("SERVER_PROTOCOL", "HTTP/1.1")).partition("/")[2] or "1.1",
        "scheme": "wss" if request.is_secure() else "ws",
        "path": request.path,
        "raw_path": raw_path.encode("latin-1", "replace"),
        "root_path": meta.get("SCRIPT_NAME", ""),
        "query_string": str(meta.get("QUERY_STRING", "")).encode("latin-1"),
        "headers": _headers(meta),
        "client": _address(meta.get("REMOTE_ADDR"), meta.get("REMOTE_PORT")),
        "server": _address(meta.get("SERVER_NAME"), meta.get("SERVER_PORT")),
        "subprotocols": list(ws.subprotocols),
        "cookies": dict(request.COOKIES),
        "url_route": {"args": tuple(args), "kwargs": dict(kwargs)},
    }
    if hasattr(request, "auser"):
        scope["user"] = await request.auser()
    elif hasattr(request, "user"):  # Django 4.2: the lazy user is evaluated off the loop
        await sync_to_async(bool)(request.user)
        scope["user"] = request.user
    session = getattr(request, "session", None)
    if session is not None:
        await sync_to_async(session.keys)()  # loaded now, so reading it never blocks the loop
        scope["session"] = session
    return scope


class AsgiBridge:
    """The ASGI receive and send callables over a WebSocket."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self._connected = False
        self._settled = asyncio.Event()  # accepted or closed: the client may be read
        self._disconnected = False

    async def receive(self) -> dict[str, Any]:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        if self._disconnected:
            await asyncio.Event().wait()  # nothing follows a disconnect; the app stops first
        if not self.ws.accepted and not self.ws.closed:
            await self._settled.wait()  # reading would accept: wait for the app to decide
        try:
            data = await self.ws.receive()
        except WebSocketDisconnect as exc:
            self._disconnected = True
            return {"type": "websocket.disconnect", "code": exc.code or 1005,
                    "reason": exc.reason}
        if isinstance(data, str):
            return {"type": "websocket.receive", "text": data}
        return {"type": "websocket.receive", "bytes": data}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            headers = tuple((bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                            for k, v in message.get("headers") or ())
            await self.ws.accept(message.get("subprotocol"), headers)
            self._settled.set()
        elif kind == "websocket.send":
            if message.get("bytes") is not None:
                await self.ws.send_bytes(message["bytes"])
            elif message.get("text") is not None:
                await self.ws.send_text(message["text"])
        elif kind == "websocket.close":
            await self.ws.close(message.get("code") or 1000, message.get("reason") or "")
            self._settled.set()
        else:
            raise ValueError(f"consumer_view does not support the ASGI message {kind!r}")


def consumer_view(app: AsgiApp, **options: Any) -> Any:
    """A Django view running the ASGI application `app` (Consumer.as_asgi()) on the socket.

    `options` are websocket_view's (heartbeat, max_message_size, compression,
    check_origin); the consumer chooses its subprotocol in accept().
    """

    async def consumer(request: Any, ws: WebSocket, *args: Any, **kwargs: Any) -> None:
        ws.subprotocol = None  # the consumer picks one, from scope["subprotocols"]
        bridge = AsgiBridge(ws)
        await app(await build_scope(request, ws, args, kwargs), bridge.receive, bridge.send)

    consumer.__name__ = consumer.__qualname__ = getattr(app, "__name__", "consumer")
    return websocket_view(**options)(consumer)
