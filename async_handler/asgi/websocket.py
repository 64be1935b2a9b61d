"""The ASGI front end's socket transport: the `websocket` scope's messages as transport.py's.

The server does the protocol: the 101 response, framing, ping/pong, UTF-8
checks, permessage-deflate and its own message size cap (docs: README
"WebSockets over ASGI"). This module turns `websocket.accept`, `.receive`,
`.send`, `.close` and `.disconnect` into Upgrade and SocketTransport, and
enforces the view's max_message_size and send_timeout, which no ASGI
server knows of.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any, Awaitable, Callable

from ..websocket.transport import AcceptOptions, Frame
from .tasks import cancel_and_wait

logger = logging.getLogger("async_handler.websocket")

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

#: Seconds a closing socket waits for the server's websocket.disconnect before it ends anyway.
CLOSE_TIMEOUT = 5.0

#: Messages read ahead of a view that is busy elsewhere, so that a client that leaves is
#: seen (and the view cancelled) while it does not read. Past it the server's own queue
#: holds them (uvicorn's --ws-max-queue), and its flow control applies.
READ_AHEAD = 32


async def send_message(send: Send, message: dict[str, Any]) -> None:
    """`send(message)`; a server's error for a connection already gone is ConnectionError."""
    try:
        await send(message)
    except OSError as exc:  # uvicorn's ClientDisconnected, Daphne's and Hypercorn's errors
        raise ConnectionError(str(exc)) from exc
    except RuntimeError as exc:  # granian: "Transport is closed"; uvicorn after close
        raise ConnectionError(str(exc)) from exc


class ASGIUpgrade:
    """Put in request.META for a `websocket` scope; accept() sends `websocket.accept`."""

    __slots__ = ("_receive", "_send", "task", "_remote", "upgraded", "on_going_away",
                 "socket", "extended_connect")

    def __init__(self, receive: Receive, send: Send, task: asyncio.Task[Any],
                 remote: str, http_version: str) -> None:
        self._receive, self._send, self.task, self._remote = receive, send, task, remote
        #: An HTTP/2 handshake (RFC 8441 extended CONNECT) has no Upgrade, Connection or
        #: Sec-WebSocket-Key to check. Over HTTP/1.1 the headers are checked again here:
        #: Hypercorn and granian pass a malformed Sec-WebSocket-Key, Daphne version 8.
        self.extended_connect = http_version.startswith("2")
        self.upgraded = False
        self.on_going_away: Callable[[], None] | None = None
        self.socket: ASGISocket | None = None

    async def accept(self, options: AcceptOptions) -> ASGISocket:
        message: dict[str, Any] = {"type": "websocket.accept"}
        if options.subprotocol is not None:
            message["subprotocol"] = options.subprotocol
        if options.headers:  # ASGI spec 2.1; Daphne rejects the key on older versions
            message["headers"] = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                                  for name, value in options.headers]
        await send_message(self._send, message)
        self.upgraded = True
        self.socket = ASGISocket(self._receive, self._send, self.task, self._remote, options)
        return self.socket

    def going_away(self) -> None:
        """The application is stopping: the socket's WebSocket closes with 1001."""
        if self.socket is not None:
            self.socket.going_away = True
        if self.on_going_away is not None:
            self.on_going_away()

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.stop()


class ASGISocket:
    """transport.SocketTransport over an accepted `websocket` scope.

    A listener task reads `receive` ahead of the view (READ_AHEAD messages at
    most). A `websocket.disconnect` while the view is not waiting for a frame
    cancels the request, view included, as a vanished client cancels it on
    the aiohttp front end; a view waiting in receive() gets the close frame.
    """

    def __init__(self, receive: Receive, send: Send, task: asyncio.Task[Any], remote: str,
                 options: AcceptOptions) -> None:
        self._receive, self._send, self._task, self._remote = receive, send, task, remote
        self._max_size = options.max_message_size
        self._send_timeout = options.send_timeout
        self._frames: collections.deque[Frame] = collections.deque()
        self._arrived = asyncio.Event()
        self._taken = asyncio.Event()
        self._end: Frame | None = None  # the close frame, once the socket has ended
        self._closing = False  # the view (or a refusal here) sent websocket.close
        self.going_away = False  # the application is stopping: the close is not the view's
        self._code: int | None = None
        self._waiting = False
        self._close_timer: asyncio.TimerHandle | None = None
        #: True once a disconnect cancelled the request: the application swallows it.
        self.cancelled_request = False
        self._listener = asyncio.ensure_future(self._listen())

    @property
    def closed(self) -> bool:
        return self._closing or self._end is not None

    @property
    def close_code(self) -> int | None:
        return self._code

    async def _listen(self) -> None:
        while True:
            while len(self._frames) >= READ_AHEAD:
                self._taken.clear()
                await self._taken.wait()
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.receive":
                frame = self._frame(message)
                if frame is None:
                    continue
                self._frames.append(frame)
                self._arrived.set()
            elif kind == "websocket.disconnect":
                self._disconnected(int(message.get("code") or 1005),
                                   str(message.get("reason") or ""))
                return

    def _frame(self, message: dict[str, Any]) -> Frame | None:
        text = message.get("text")
        data: str | bytes = text if text is not None else bytes(message.get("bytes") or b"")
        if self._max_size and _too_large(data, self._max_size):
            logger.warning("WebSocket from %s sent a message over %d bytes; closing with 1009",
                           self._remote, self._max_size)
            asyncio.ensure_future(self._refuse(1009, "message too big"))
            return None
        return Frame("text", data) if text is not None else Frame("bytes", data)

    async def _refuse(self, code: int, reason: str) -> None:
        with contextlib.suppress(ConnectionError):
            await self.close(code, reason)

    def _disconnected(self, code: int, reason: str) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
        if self._code is None:
            self._code = code
        self._end = Frame("close", code=self._code if self._closing else code, reason=reason)
        self._arrived.set()
        if (not self._closing or self.going_away) and not self._waiting \
                and not self._task.done():
            # Nothing else would tell a view that does not read (ASGI has no connection
            # to lose): cancel it, as the aiohttp front end's lost connection does.
            logger.debug("WebSocket client %s left (%s); cancelling its view", self._remote,
                         code)
            self.cancelled_request = True
            self._task.cancel()

    async def receive(self) -> Frame:
        while not self._frames:
            if self._end is not None:
                return self._end
            self._arrived.clear()
            self._waiting = True
            try:
                await self._arrived.wait()
            finally:
                self._waiting = False
        frame = self._frames.popleft()
        self._taken.set()
        return frame

    async def send_text(self, data: str) -> None:
        await self._send_frame({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self._send_frame({"type": "websocket.send", "bytes": data})

    async def _send_frame(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise ConnectionError("the WebSocket is closed")
        if not self._send_timeout:
            await send_message(self._send, message)
            return
        try:
            # Not asyncio.wait_for(): on 3.11 it drops a cancel that meets a finished send
            # (https://github.com/python/cpython/issues/86296), and the view outlives its client.
            async with asyncio.timeout(self._send_timeout):
                await send_message(self._send, message)
        except TimeoutError:
            logger.warning("WebSocket client %s read nothing for %s s with the send buffer "
                           "full; dropping it", self._remote, self._send_timeout)
            self._code = 1006
            asyncio.ensure_future(self._refuse(1008, "send timeout"))
            raise ConnectionError("send timed out") from None

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self._closing = True
        if self._code is None:
            self._code = code
        message = {"type": "websocket.close", "code": code, "reason": reason}
        try:
            await send_message(self._send, message)
        except ConnectionError:
            raise
        except Exception as exc:
            # Daphne (autobahn) sends only 1000 and 3000-4999, and raises a bare
            # Exception for 1001-1014: those go as 4000 + the last digits (1009: 4009).
            if not 1000 < code < 2000:
                raise
            logger.warning("The ASGI server refused close code %s (%s); closing with %s",
                           code, exc, 4000 + code % 1000)
            message["code"] = 4000 + code % 1000
            await send_message(self._send, message)
        # A server that never reports the end (Daphne after an error) must not hold the view.
        self._close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT,
                                                                  self._close_timed_out)

    def _close_timed_out(self) -> None:
        if self._end is None:
            logger.debug("No websocket.disconnect %s s after closing %s; ending the socket",
                         CLOSE_TIMEOUT, self._remote)
            self._disconnected(self._code or 1006, "")

    async def stop(self) -> None:
        """Stop reading: the application is done with the socket."""
        if self._close_timer is not None:
            self._close_timer.cancel()
        await cancel_and_wait(self._listener)


def _too_large(data: str | bytes, limit: int) -> bool:
    if isinstance(data, bytes) or len(data) > limit:
        return len(data) > limit
    # A str's UTF-8 takes 1-4 bytes a character: encode only where that decides.
    return len(data) * 4 > limit and len(data.encode()) > limit
