"""aiohttp's low-level server carrying the worker's connection policy.

A request hook (for max_requests), a switch that makes every response say
`Connection: close` (keep-alive off, or a worker about to stop), the open
connection count (for --worker-connections), body byte counts for the access
log, and a drain that loses no request in flight. Each connection is a
protocol.ProtocolHandler, which answers malformed requests as gunicorn does.
Responses say `Server: gunicorn`, as gunicorn's own do, rather than naming
the Python and aiohttp versions.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any, Awaitable, Callable

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE as AIOHTTP_SERVER
from aiohttp.web_protocol import ERROR, RequestHandler

from .environ import PROXY_KEY
from .errors import reject
from .protocol import ProtocolHandler


class BodyBytes:
    """Counts the body bytes a response sends, before chunked framing, for the access log."""

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self, size: int, output_size: int) -> None:
        self.sent += size


# Where a request keeps its response's BodyBytes (aiohttp writers with on_body_write only).
BODY_BYTES_KEY: Any = (web.RequestKey("body_bytes", BodyBytes) if hasattr(web, "RequestKey")
                       else "async_handler.body_bytes")


class _Request(web.BaseRequest):
    """A request whose response keeps the connection open only if the server allows it."""

    __slots__ = ()

    @property
    def keep_alive(self) -> bool:
        server = self._protocol._manager
        return not self._message.should_close and getattr(server, "keep_alive", True)

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        # aiohttp has just defaulted the header; a view's own Server header stays.
        if response.headers.get("Server") == AIOHTTP_SERVER:
            response.headers["Server"] = SERVER


@functools.lru_cache(maxsize=1)
def _handler_parameters() -> frozenset[str]:
    return frozenset(inspect.signature(RequestHandler.__init__).parameters)


def _supported(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The options this aiohttp's RequestHandler takes: max_headers, for one, is recent."""
    known = _handler_parameters()
    return {k: v for k, v in kwargs.items() if k in known}


#: What gunicorn's responses say in their Server header (gunicorn.SERVER).
SERVER = "gunicorn"
#: gunicorn caps limit_request_line at this; the worker passes 1 MiB for 0, unlimited.
_MAX_REQUEST_LINE, _UNLIMITED = 8190, 1024 * 1024


class DjangoServer(web.Server):
    """web.Server with gunicorn's status codes for parse errors and a graceful drain."""

    def __init__(self, handler: Any, *, max_line_size: int = 8190, max_field_size: int = 8190,
                 header_timeout: float | None = None,
                 proxy_protocol: str = "off",
                 proxy_allowed: Callable[[str], bool] | None = None,
                 on_request: Callable[[], None] | None = None,
                 count_body_bytes: bool = False, **kwargs: Any) -> None:
        super().__init__(self._tracking(handler), max_line_size=max_line_size,
                         max_field_size=max_field_size, **kwargs)
        line_limit = (0 if max_line_size >= _UNLIMITED
                      else min(max_line_size, _MAX_REQUEST_LINE))
        self._protocol = type("ProtocolHandler", (ProtocolHandler,), {
            "__slots__": (),
            "line_limit": line_limit, "field_limit": max_field_size,
            "parser_line_limit": max_line_size,
            "header_timeout": header_timeout,
            "proxy_mode": proxy_protocol,
            "proxy_allowed": staticmethod(proxy_allowed or (lambda addr: True))})
        self._busy: set[RequestHandler] = set()
        #: False makes every response from now on say `Connection: close`.
        self.keep_alive = True
        #: Called as each request starts, before its response can be sent.
        self.on_request = on_request
        #: Count body bytes for the access log (a callback per write, so only when logging).
        self.count_body_bytes = count_body_bytes
        #: Open client connections, and a callback told the count as it changes.
        self.open_connections = 0
        self.on_connections: Callable[[int], Any] | None = None

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        self.open_connections += 1
        if self.on_connections is not None:
            self.on_connections(self.open_connections)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        self.open_connections -= 1
        if self.on_connections is not None:
            self.on_connections(self.open_connections)

    def __call__(self) -> RequestHandler:
        return self._protocol(self, loop=self._loop, **_supported(self._kwargs))

    def _tracking(self, handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
                  ) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            version = request.version
            if version < (1, 0):
                return reject(request, 400, "Bad Request", "HTTP/0.9 request line (no version)")
            if version > (1, 1):
                # llhttp parses `HTTP/2.0` in a request line as HTTP/1.1 would be.
                why = f"Invalid HTTP Version: {tuple(version)!r}"
                return reject(request, 400, "Bad Request", why, f"Invalid HTTP Version '{why}'")
            if version < (1, 1) and "Transfer-Encoding" in request.headers:
                # llhttp decodes it; gunicorn, and RFC 9112 6.1, treat it as faulty framing.
                return reject(request, 400, "Bad Request",
                              "Invalid HTTP Header: 'TRANSFER-ENCODING' (on HTTP/1.0)")
            self._busy.add(request.protocol)
            try:
                return await handler(request)
            finally:
                self._busy.discard(request.protocol)

        return handle

    def _make_request(self, message: Any, payload: Any, protocol: RequestHandler, writer: Any,
                      task: asyncio.Task[None]) -> web.BaseRequest:
        if self.on_request is not None and message is not ERROR:
            self.on_request()
        request = _Request(message, payload, protocol, writer, task, self._loop)
        info = getattr(protocol, "proxy_info", None)
        if info is not None:
            request[PROXY_KEY] = info
        if self.count_body_bytes and hasattr(writer, "on_body_write"):
            writer.on_body_write = request[BODY_BYTES_KEY] = BodyBytes()
        return request

    async def drain(self, grace: float, linger: float) -> None:
        """Close every connection, letting requests in flight finish within `grace` seconds.

        Call it once the listeners are closed. Responses from now on say
        `Connection: close`. For `linger` seconds busy keep-alive clients get
        the answer to the request they are already sending rather than a
        reset; after that idle connections close at once. A request in
        flight, its body still arriving, keeps its connection open until its
        response is sent; aiohttp's own shutdown() would stop reading it.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        closing_idle_at = min(deadline, loop.time() + linger)
        self.keep_alive = False
        while loop.time() < deadline:
            for conn in list(self._connections):
                # An open WebSocket, or one accepted since: closes with 1001 (websocket/).
                going_away = getattr(conn, "going_away", None)
                if going_away is not None:
                    going_away()
            await asyncio.sleep(0.02)
            if loop.time() >= closing_idle_at:
                for conn in list(self._connections):
                    # A request already parsed but not yet handed to the
                    # handler is not "busy" yet, and closing it would reset
                    # the client: only truly idle connections close.
                    if conn not in self._busy and getattr(conn, "idle", True):
                        conn.force_close()
            if not self._connections:
                return
        # aiohttp reads a timeout of 0 as none at all.
        await self.shutdown(0.001)
