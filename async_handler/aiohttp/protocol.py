"""One client connection: gunicorn's answers to malformed requests, slow clients and PROXY headers.

aiohttp answers every parse error with 400. gunicorn's limits promise 414
for a long request line and 431 for too many or too large header fields,
logged as a one-line warning rather than a traceback, and its error pages
are its own: `HTTP/1.1` whatever the request said, three headers, a short
HTML body. Lines are measured as gunicorn measures them and forbidden
trailer fields refused by linescan.py, ahead of aiohttp's parser.

A request head must arrive whole within `header_timeout` of its first byte
(of the connection, for the first request): a client dripping header bytes
(slowloris) is cut off. aiohttp's keep-alive timer alone never closes a
connection that is still sending a head, and with keep-alive off it starts
no timer at all, so an idle new connection would be held forever.

With the PROXY protocol on, a connection's first bytes may be a load
balancer's PROXY header (proxyproto.py), taken off before aiohttp parses.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.streams import EMPTY_PAYLOAD, StreamReader
from aiohttp.web_protocol import RequestHandler, _ErrInfo

from . import proxyproto
from .errors import Refused, one_line, reject
from .linescan import LineScanner, Refusal
from .proxyproto import ProxyInfo


def _cancel_unless_finishing(task: asyncio.Task[None], upgrade: Any) -> None:
    if not upgrade.finishing:
        task.cancel()


class ProtocolHandler(RequestHandler):
    # Slots, as aiohttp's RequestHandler has: no __dict__ on a connection, which an open
    # WebSocket holds for its whole life.
    __slots__ = ("_scanner", "_refused", "_last_payload", "_head_timer", "_head_started",
                 "proxy_info", "_proxy_buf", "going_away", "upgrade")
    # Per server, set on the subclass DjangoServer makes.
    line_limit: int = 8190  # gunicorn's limits, as linescan.py applies them; 0: none
    field_limit: int = 8190
    parser_line_limit: int = 8190  # aiohttp's own, a backstop
    header_timeout: float | None = None
    proxy_mode = "off"  # PROXY protocol: off, v1, v2 or auto
    proxy_allowed: Callable[[str], bool] = staticmethod(lambda addr: True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scanner: LineScanner | None = None
        self._refused = False  # linescan.py refused a request: the rest of the stream is dropped
        self._last_payload: StreamReader | None = None  # the body of the last request parsed
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_started = False  # bytes of a head that is not complete yet have arrived
        self.proxy_info: ProxyInfo | None = None
        self._proxy_buf: bytes | None = None  # first bytes, held until the PROXY header is known
        #: Set by an accepted WebSocket: closes it with 1001 as the server stops.
        self.going_away: Callable[[], None] | None = None
        #: An accepted WebSocket's websocket.aiohttp_socket.AiohttpUpgrade.
        self.upgrade: Any = None

    def upgraded(self) -> None:
        """The connection carries WebSocket frames from now on: drop what parses HTTP.

        aiohttp feeds nothing more to its HTTP parser once a request upgraded
        (RequestHandler.data_received), and an idle socket would hold it, the
        line scanner and the handshake's payload for its whole life (~1.5 KB).
        Its queue of parsed requests is never filled again either: an empty
        tuple stands in for the deque (an empty deque holds a 0.6 KB block),
        and an append would fail loudly rather than queue a request.
        """
        self._parser = None
        self._messages = ()  # type: ignore[assignment]
        self._scanner = None
        self._last_payload = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.proxy_mode != "off":
            self._proxy_buf = b""
        self._scanner = LineScanner(self.line_limit, self.field_limit)
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
        if self._refused:
            return
        refusal = self._scanner.feed(data) if self._scanner is not None and data else None
        if refusal is not None:
            data = data[:refusal.offset]  # the refused request never completes
        request, queued = self._current_request, len(self._messages)
        super().data_received(data)
        if len(self._messages) > queued:
            self._last_payload = self._messages[-1][1]
        if refusal is not None:
            self._refuse(refusal)
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

    def _refuse(self, refusal: Refusal) -> None:
        """Answer the refused request in its turn, with gunicorn's status."""
        self._refused = True
        exc = Refused(refusal)
        payload = self._last_payload
        if refusal.in_trailer:
            # Its head was parsed: fail the body the handler is (or will be) reading.
            if payload is not None and not payload.is_eof():
                payload.set_exception(exc)
                payload.feed_eof()
            else:
                self.close()
            return
        # Queued behind any request parsed before it, as aiohttp queues its own errors.
        self._messages.append((_ErrInfo(status=refusal.status, exc=exc, message=str(exc)),
                               EMPTY_PAYLOAD))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

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
        task, upgrade = self._task_handler, self.upgrade
        if upgrade is None or task is None or self._manager is None \
                or not self._manager.handler_cancellation:
            super().connection_lost(exc)
            return
        # An accepted WebSocket: aiohttp would cancel the request here. It is cancelled a
        # loop turn later, so that a view woken by the socket's end (an unanswered ping:
        # aiohttp closes the transport, then hands the reader its error) sees it first;
        # and not at all once a close handshake the client or the view began is done:
        # the view finishes what it does after its socket, the request its middleware
        # and request_finished (websocket/view.py).
        self._task_handler = None
        super().connection_lost(exc)
        self._loop.call_soon(_cancel_unless_finishing, task, upgrade)

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
        status, reason, page = 400, "Bad Request", None
        if isinstance(exc, Refused):
            status, reason, page = exc.refusal.status, exc.refusal.reason, exc.refusal.page
        elif isinstance(exc, LineTooLong):
            # linescan.py refuses long lines first; this is a backstop, and a
            # limit shared by the request line and fields means a field.
            if str(exc.args[1]) == str(self.parser_line_limit) != str(self.field_limit):
                status, reason = 414, "URI Too Long"
            else:
                status, reason = 431, "Request Header Fields Too Large"
                page = "Error parsing headers: 'limit request headers fields size'"
        elif "Too many headers" in str(exc):
            status, reason = 431, "Request Header Fields Too Large"
            page = "Error parsing headers: 'limit request headers fields'"
        if request.writer.output_size > 0:
            self.logger.warning("Invalid request from ip=%s: %s", request.remote, one_line(exc))
            raise ConnectionError("response already started; cannot send an error")
        return reject(request, status, reason, one_line(exc), page)
