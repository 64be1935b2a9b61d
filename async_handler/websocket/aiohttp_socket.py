"""The aiohttp front end's socket transport: aiohttp's web.WebSocketResponse.

aiohttp does the protocol: the 101 response, framing, masking, ping/pong
heartbeats (an unanswered ping closes the connection, and with it the view's
task is cancelled), the message size limit (close 1009), UTF-8 checks
(close 1007) and permessage-deflate. This module only adapts it to
transport.py's interface.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from aiohttp import WSMsgType, web

from .masking import GuardedParser
from .transport import AcceptOptions, Frame

logger = logging.getLogger("async_handler.websocket")

#: Seconds a closing socket waits for the client's close frame before dropping it.
CLOSE_TIMEOUT = 5.0


class AiohttpUpgrade:
    """Put in request.META by the handler for requests that ask to upgrade."""

    __slots__ = ("_request", "response", "upgraded", "on_going_away", "finishing")

    #: protocol.ProtocolHandler leaves the request running once `finishing` is set (a
    #: close handshake the client or the view began is done), so the view needs no task
    #: of its own (view._serve). WebSocket._ended sets it.
    spares_view = True

    def __init__(self, request: web.BaseRequest) -> None:
        self._request = request
        self.response: web.WebSocketResponse | None = None
        self.upgraded = False
        self.on_going_away: Callable[[], None] | None = None
        self.finishing = False

    async def accept(self, options: AcceptOptions) -> AiohttpSocket:
        response = web.WebSocketResponse(
            protocols=(options.subprotocol,) if options.subprotocol else (),
            # aiohttp refuses a message of max_msg_size bytes; the setting allows it.
            heartbeat=options.heartbeat,
            max_msg_size=options.max_message_size + 1 if options.max_message_size else 0,
            compress=options.compression, timeout=CLOSE_TIMEOUT)
        for name, value in options.headers:
            response.headers[name] = value
        await response.prepare(self._request)
        self.response, self.upgraded = response, True
        protocol: Any = self._request.protocol
        # DjangoServer.drain calls this on each connection as the worker stops.
        protocol.going_away = self._going_away
        protocol.upgrade = self
        socket = AiohttpSocket(response, self._request, options.send_timeout)
        # aiohttp's parser takes unmasked frames; RFC 6455 says close (masking.py).
        parser = getattr(protocol, "_payload_parser", None)
        if parser is not None:
            protocol._payload_parser = GuardedParser(parser, socket.unmasked)
        upgraded = getattr(protocol, "upgraded", None)
        if upgraded is not None:  # our ProtocolHandler; a plain aiohttp one has none
            upgraded()
        return socket

    def sink(self, sink: Any) -> UpgradeSink:
        """`sink`, made silent once this upgrade has happened."""
        return UpgradeSink(sink, self)

    def _going_away(self) -> None:
        if self.on_going_away is not None:
            self.on_going_away()


class UpgradeSink:
    """The front end's response sink, silent once the socket was the response.

    After a WebSocket view the core still sends the response the middleware
    handed back (view.SocketClosed); the connection carries WebSocket frames
    by then, so nothing is written, and the response the server logs is the
    101 that opened the socket.
    """

    __slots__ = ("_sink", "_upgrade")

    def __init__(self, sink: Any, upgrade: AiohttpUpgrade) -> None:
        self._sink, self._upgrade = sink, upgrade

    @property
    def response(self) -> Any:
        upgraded = self._upgrade.response
        return upgraded if upgraded is not None else self._sink.response

    async def send(self, *args: Any) -> None:
        if not self._upgrade.upgraded:
            await self._sink.send(*args)

    async def start(self, *args: Any) -> None:
        if not self._upgrade.upgraded:
            await self._sink.start(*args)

    async def write(self, data: bytes) -> None:
        if not self._upgrade.upgraded:
            await self._sink.write(data)

    async def sendfile(self, *args: Any) -> bool:
        return not self._upgrade.upgraded and bool(await self._sink.sendfile(*args))

    async def end(self) -> None:
        if not self._upgrade.upgraded:
            await self._sink.end()

    async def refuse(self, status: int, text: str) -> None:
        if not self._upgrade.upgraded:
            await self._sink.refuse(status, text)

    def close_after(self) -> None:
        if not self._upgrade.upgraded:
            self._sink.close_after()


class AiohttpSocket:
    """transport.SocketTransport over an accepted web.WebSocketResponse."""

    __slots__ = ("_ws", "_request", "_remote", "_send_timeout", "_refused")

    def __init__(self, ws: web.WebSocketResponse, request: web.BaseRequest,
                 send_timeout: float | None) -> None:
        self._ws = ws
        self._request = request
        self._remote = request.remote
        self._send_timeout = send_timeout
        self._refused: int | None = None  # a close code for a protocol error aiohttp allows

    @property
    def closed(self) -> bool:
        return self._ws.closed

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code

    async def receive(self) -> Frame:
        msg: Any = await self._ws.receive()
        kind = msg.type
        if kind is WSMsgType.TEXT:
            return Frame("text", msg.data)
        if kind is WSMsgType.BINARY:
            return Frame("bytes", msg.data)
        if kind is WSMsgType.CLOSE:
            return Frame("close", code=int(msg.data), reason=msg.extra or "")
        if kind is WSMsgType.ERROR:
            # The code sent to the client (1009, 1007...); close_code says 1006 once the
            # client, having read it, drops the connection.
            code = int(getattr(msg.data, "code", None) or self._ws.close_code or 1006)
            logger.warning("WebSocket from %s closed with %s: %s", self._remote, code, msg.data)
            return Frame("close", code=code)
        # CLOSING, CLOSED
        return Frame("close", code=self._refused or self._ws.close_code or 1005)

    def unmasked(self) -> None:
        """The client sent an unmasked frame: close with 1002, reading nothing more."""
        logger.warning("WebSocket from %s sent an unmasked frame; closing with 1002",
                       self._remote)
        self._refused = 1002
        asyncio.ensure_future(self._ws.close(code=1002, message=b"unmasked frame"))

    async def send_text(self, data: str) -> None:
        await self._bounded(self._ws.send_str(data))

    async def send_bytes(self, data: bytes) -> None:
        await self._bounded(self._ws.send_bytes(data))

    async def _bounded(self, sending: Awaitable[None]) -> None:
        """Send, dropping a client that leaves the send buffer full past the send timeout.

        aiohttp waits for the buffer to drain below its limit before a send
        returns, so what waits for a client is bounded; a client that never
        reads would hold the sender for ever. Dropping the connection cancels
        the view, as any vanished client does.
        """
        if not self._send_timeout:
            await sending
            return
        timer = asyncio.get_running_loop().call_later(self._send_timeout, self._stalled)
        try:
            await sending
        finally:
            timer.cancel()

    def _stalled(self) -> None:
        logger.warning("WebSocket client %s read nothing for %s s with the send buffer full; "
                       "dropping it", self._remote, self._send_timeout)
        transport = self._request.transport
        if transport is not None:
            transport.abort()

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code=code, message=reason.encode())
