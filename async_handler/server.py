"""aiohttp's low-level server, with gunicorn's answers to malformed requests.

aiohttp answers every parse error with 400. gunicorn's limits promise 414
for a long request line and 431 for too many or too large header fields,
logged as a one-line warning rather than a traceback. Two framings llhttp
lets through are refused here as gunicorn refuses them: HTTP/0.9 requests and
Transfer-Encoding on HTTP/1.0 (RFC 9112 6.1: faulty framing).

A request head must arrive whole within `header_timeout` of its first byte
(of the connection, for the first request): a client dripping header bytes
(slowloris) is cut off. aiohttp's keep-alive timer alone never closes a
connection that is still sending a head, and with keep-alive off it starts
no timer at all, so an idle new connection would be held forever.

The server also carries the worker's connection policy: a request hook (for
max_requests), a switch that makes every response say `Connection: close`
(keep-alive off, or a worker about to stop), body byte counts for the access
log, and a drain that loses no request in flight.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any, Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.web_protocol import ERROR, RequestHandler

from . import proxyproto
from .proxyproto import ProxyInfo
from .request import PROXY_KEY


def _one_line(exc: BaseException) -> str:
    # llhttp's messages carry the offending bytes and a caret on lines of their own.
    return " ".join(str(exc).split())


def _reject(request: web.BaseRequest, status: int, reason: str, why: str) -> web.Response:
    """A one-line warning, as gunicorn logs one, and an error response that closes."""
    request.protocol.logger.warning("Invalid request from ip=%s: %s", request.remote, why)
    response = web.Response(status=status, reason=reason, text=f"{status} {reason}\n")
    response.force_close()
    return response


class _ProtocolHandler(RequestHandler):
    line_limit: int = 8190
    header_timeout: float | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _head_started = False  # bytes of a head that is not complete yet have arrived
    proxy_mode = "off"  # PROXY protocol: off, v1, v2 or auto
    proxy_allowed: Callable[[str], bool] = staticmethod(lambda addr: True)
    proxy_info: ProxyInfo | None = None
    _proxy_buf: bytes | None = None  # first bytes, held until the PROXY header is known

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.proxy_mode != "off":
            self._proxy_buf = b""
        self._arm_head_timer()

    def _take_proxy_header(self, data: bytes) -> bytes:
        """The bytes after the PROXY header, once it is whole; b"" while it is not."""
        assert self._proxy_buf is not None
        buf = self._proxy_buf + data
        peer = self.transport.get_extra_info("peername") if self.transport else None
        addr = peer[0] if isinstance(peer, tuple) else peer
        try:
            found = proxyproto.parse(buf, self.proxy_mode,
                                     not isinstance(peer, tuple) or self.proxy_allowed(str(addr)))
        except proxyproto.ProxyHeaderError as exc:
            self._proxy_buf = None
            self.logger.warning("Invalid request from ip=%s: %s", addr, exc)
            text = f"{exc.status} {exc.reason}\n".encode()
            if self.transport is not None:
                self.transport.write(b"HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: "
                                     b"text/plain\r\nContent-Length: %d\r\n\r\n%s" % (
                                         exc.status, exc.reason.encode(), len(text), text))
            self.force_close()
            return b""
        if found is None:
            self._proxy_buf = buf
            self._head_started = True
            return b""
        self._proxy_buf = None
        self.proxy_info, used = found
        return buf[used:]

    def data_received(self, data: bytes) -> None:
        if self._proxy_buf is not None:
            data = self._take_proxy_header(data)
            if not data:
                return
        request, queued = self._current_request, len(self._messages)
        super().data_received(data)
        if request is not None and len(self._messages) > queued:
            error = getattr(self._messages[-1][0], "exc", None)
            if isinstance(error, HttpProcessingError) and not request.content.is_eof():
                # A body that turns malformed mid-stream: aiohttp's C parser drops
                # the request's payload without failing it and queues a 400 behind
                # it, so the handler would wait for the rest of the body forever.
                request.content.set_exception(error)
                # Ended too, so that aiohttp does not linger reading it after the 400.
                request.content.feed_eof()
        if not self._awaiting_head():
            self._head_started = False
            self._disarm_head_timer()
        elif data:
            self._head_started = True
            if self._head_timer is None:
                self._arm_head_timer()

    @property
    def idle(self) -> bool:
        """Nothing received that is unanswered: closing now loses no request."""
        return (not self._messages and not self._request_in_progress
                and not self._head_started)

    def _awaiting_head(self) -> bool:
        # No parsed request queued and none being handled: bytes received are
        # part of a head that is not complete yet. (Bytes that arrive while a
        # request is handled are its body or a pipelined head, which aiohttp's
        # keep-alive timer covers once the response is sent.)
        return not self._messages and not self._request_in_progress and not self._force_close

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self.header_timeout:
            self._head_timer = self._loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._awaiting_head():
            return  # its head came in time
        peer = self.transport.get_extra_info("peername") if self.transport else None
        self.logger.warning("Request head not complete within %s s from ip=%s; closing",
                            self.header_timeout, peer[0] if isinstance(peer, tuple) else peer)
        self.force_close()


    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        # A BadHttpMessage with status 500 is a body that failed while the handler read it.
        if not isinstance(exc, BadHttpMessage):
            return super().handle_error(request, status, exc, message)
        status, reason = 400, "Bad Request"
        if isinstance(exc, LineTooLong):
            if str(exc.args[1]) == str(self.line_limit):
                status, reason = 414, "URI Too Long"
            else:
                status, reason = 431, "Request Header Fields Too Large"
        elif "Too many headers" in str(exc):
            status, reason = 431, "Request Header Fields Too Large"
        if request.writer.output_size > 0:
            self.logger.warning("Invalid request from ip=%s: %s", request.remote, _one_line(exc))
            raise ConnectionError("response already started; cannot send an error")
        return _reject(request, status, reason, _one_line(exc))


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


@functools.lru_cache(maxsize=1)
def _handler_parameters() -> frozenset[str]:
    return frozenset(inspect.signature(RequestHandler.__init__).parameters)


def _supported(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The options this aiohttp's RequestHandler takes: max_headers, for one, is recent."""
    known = _handler_parameters()
    return {k: v for k, v in kwargs.items() if k in known}


class DjangoServer(web.Server):
    """web.Server with gunicorn's status codes for parse errors and a graceful drain."""

    def __init__(self, handler: Any, *, max_line_size: int = 8190,
                 header_timeout: float | None = None,
                 proxy_protocol: str = "off",
                 proxy_allowed: Callable[[str], bool] | None = None,
                 on_request: Callable[[], None] | None = None,
                 count_body_bytes: bool = False, **kwargs: Any) -> None:
        super().__init__(self._tracking(handler), max_line_size=max_line_size, **kwargs)
        self._protocol = type("ProtocolHandler", (_ProtocolHandler,), {
            "line_limit": max_line_size, "header_timeout": header_timeout,
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
                return _reject(request, 400, "Bad Request", "HTTP/0.9 request line (no version)")
            if version < (1, 1) and "Transfer-Encoding" in request.headers:
                # llhttp decodes it; gunicorn, and RFC 9112 6.1, treat it as faulty framing.
                return _reject(request, 400, "Bad Request", "Transfer-Encoding on HTTP/1.0")
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
