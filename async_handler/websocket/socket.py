"""The `ws` object a WebSocket view receives: frames in and out, close, groups.

The socket is accepted (the 101 response sent) on the view's first use of
it, or by an explicit `await ws.accept()`. Until then the view may still
answer with an ordinary HttpResponse, and a view that closes or returns
without accepting refuses the handshake with 403, as a Channels consumer
that closes before accepting does.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, AsyncIterator

from django.core.serializers.json import DjangoJSONEncoder

from .transport import AcceptOptions, Frame, SocketTransport, Upgrade

if TYPE_CHECKING:
    from .groups import Membership
    from .options import ViewOptions

NEW, OPEN, CLOSED = "new", "open", "closed"
_SENDABLE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                             1013, 1014})


class WebSocketDisconnect(Exception):
    """The socket is closed: by the client, by the view, or by the server stopping."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code, self.reason = code, reason


def _forget_tried(request: Any) -> None:
    """Keep only the matched entry of `request.resolver_match.tried`.

    Django lists every URL pattern tried before the match there, for the DEBUG
    404 page a view's Http404 renders; a socket, once upgraded, can no longer
    answer with that page, and an idle one would hold the list for its life:
    a small list per pattern listed before its route (1.4 KB of the 24.7 KB a
    socket held in make bench's URLconf, more in a project with many URLs).
    """
    match: Any = getattr(request, "resolver_match", None)
    tried = getattr(match, "tried", None)
    if tried is not None and len(tried) > 1:
        match.tried = tried[-1:]


class WebSocket:
    """One client's socket, for the life of the view."""

    def __init__(self, request: Any, upgrade: Upgrade, options: ViewOptions) -> None:
        self.request = request
        header = request.META.get("HTTP_SEC_WEBSOCKET_PROTOCOL", "")
        #: The subprotocols the client offered, in its order of preference.
        self.subprotocols = [p.strip() for p in header.split(",") if p.strip()]
        #: The one agreed on: the view's choice, from its subprotocols=, until accept() says.
        self.subprotocol: str | None = options.choose_subprotocol(self.subprotocols)
        self.close_code: int | None = None
        self.close_reason = ""
        self._upgrade = upgrade
        self._options = options
        self._transport: SocketTransport | None = None
        self._state = NEW
        self._going_away: asyncio.Task[None] | None = None
        self.closed_by: str | None = None
        self._membership: Membership | None = None

    @property
    def accepted(self) -> bool:
        return self._transport is not None

    @property
    def closed(self) -> bool:
        return self._state == CLOSED

    async def accept(self, subprotocol: str | None = None,
                     headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Send the 101 response; `subprotocol` must be one the client offered."""
        if self._state != NEW:
            if self._state == CLOSED:
                raise WebSocketDisconnect(self.close_code, self.close_reason)
            return
        if subprotocol is None:
            subprotocol = self.subprotocol
        elif subprotocol not in self.subprotocols:
            raise ValueError(f"the client did not offer subprotocol {subprotocol!r}")
        opts = self._options
        self._transport = await self._upgrade.accept(AcceptOptions(
            subprotocol=subprotocol, heartbeat=opts.resolved("heartbeat"),
            max_message_size=int(opts.resolved("max_message_size") or 0),
            compression=bool(opts.resolved("compression")),
            send_timeout=opts.resolved("send_timeout") or None, headers=tuple(headers)))
        self._upgrade.on_going_away = self._server_stopping
        self.subprotocol = subprotocol
        self._state = OPEN
        _forget_tried(self.request)

    async def _open(self) -> SocketTransport:
        if self._state == NEW:
            await self.accept()
        if self._state == CLOSED or self._transport is None:
            raise WebSocketDisconnect(self.close_code, self.close_reason)
        return self._transport

    def _ended(self, code: int | None, reason: str, by: str | None = None) -> None:
        if self._state != CLOSED:
            self._state, self.close_code, self.close_reason = CLOSED, code, reason
            #: "client" or "view" after a close handshake one of them began.
            self.closed_by = by
            if by in ("client", "view") and getattr(self._upgrade, "spares_view", False):
                self._upgrade.finishing = True  # type: ignore[attr-defined]
            if self._membership is not None:
                self._membership.socket_closed()

    # -- receiving --------------------------------------------------------

    async def receive(self) -> str | bytes:
        """The next message: str for a text frame, bytes for a binary one.

        Raises WebSocketDisconnect once the socket is closed.
        """
        transport = await self._open()
        data = self._data(await transport.receive())
        if data is None:
            raise WebSocketDisconnect(self.close_code, self.close_reason)
        return data

    def _data(self, frame: Frame) -> str | bytes | None:
        """A frame's message; None, the socket marked closed, for the end of the socket."""
        if frame.kind == "close":
            self._ended(frame.code, frame.reason, "client" if frame.code != 1006 else None)
            return None
        assert frame.data is not None
        return frame.data

    async def receive_text(self) -> str:
        data = await self.receive()
        if not isinstance(data, str):
            raise TypeError("expected a text frame, got a binary one")
        return data

    async def receive_bytes(self) -> bytes:
        data = await self.receive()
        if not isinstance(data, bytes):
            raise TypeError("expected a binary frame, got a text one")
        return data

    async def receive_json(self) -> Any:
        """A JSON document from a text (or binary, UTF-8) frame."""
        return json.loads(await self.receive())

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self

    async def __anext__(self) -> str | bytes:
        # receive() inlined: one coroutine frame fewer held by every idle `async for`.
        try:
            transport = await self._open()
        except WebSocketDisconnect:
            raise StopAsyncIteration from None
        data = self._data(await transport.receive())
        if data is None:
            raise StopAsyncIteration
        return data

    # -- sending ----------------------------------------------------------

    async def send_text(self, data: str) -> None:
        transport = await self._open()
        try:
            await transport.send_text(data)
        except ConnectionError:
            self._ended(1006, "")
            raise WebSocketDisconnect(1006) from None

    async def send_bytes(self, data: bytes) -> None:
        transport = await self._open()
        try:
            await transport.send_bytes(data)
        except ConnectionError:
            self._ended(1006, "")
            raise WebSocketDisconnect(1006) from None

    async def send_json(self, data: Any) -> None:
        """`data` as JSON in a text frame; dates, decimals and UUIDs as Django serializes them."""
        await self.send_text(json.dumps(data, cls=DjangoJSONEncoder))

    # -- closing ----------------------------------------------------------

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket; before accept(), refuse the handshake (403)."""
        if not (code in _SENDABLE_CODES or 3000 <= code <= 4999):
            raise ValueError(f"close code {code} may not be sent (RFC 6455 7.4)")
        if len(reason.encode()) > 123:
            raise ValueError("a close reason is at most 123 bytes of UTF-8")
        if self._state == CLOSED:
            return
        transport = self._transport
        self._ended(code, reason, "server" if code == 1001 and self._going_away else "view")
        if transport is not None and not transport.closed:
            try:
                await transport.close(code, reason)
            except ConnectionError:
                pass

    def _server_stopping(self) -> None:
        if self._state == OPEN and self._going_away is None:
            self._going_away = asyncio.ensure_future(self.close(1001, "server shutting down"))

    # -- groups (groups.py) -----------------------------------------------

    def _groups(self) -> Membership:
        if self._membership is None:
            from .groups import Membership

            self._membership = Membership(self)
        return self._membership

    async def join(self, group: str) -> None:
        """Receive what is sent to `group` on the channel layer (settings.CHANNEL_LAYERS)."""
        await self._open()
        await self._groups().join(group)

    async def leave(self, group: str) -> None:
        await self._groups().leave(group)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """channel_layer.group_send(group, message), from this view."""
        await self._groups().group_send(group, message)

    @property
    def channel_name(self) -> str | None:
        """This socket's channel on the layer, once it has joined a group."""
        return self._membership.channel_name if self._membership else None

    def events(self) -> AsyncIterator[dict[str, Any]]:
        """Group messages other than websocket.send, until the socket closes."""
        return self._groups().events()

    async def _finish(self, cancelled: bool) -> None:
        """After the view: leave the groups, close the socket if the view left it open."""
        if self._membership is not None:
            await self._membership.stop()
        if self._going_away is not None:
            await asyncio.gather(self._going_away, return_exceptions=True)
        if not cancelled and self._state == OPEN:
            await self.close(1000)
