"""The socket transport interface between the WebSocket API and a front end.

Everything in this package except the front-end adapters (aiohttp_socket.py
here, asgi/websocket.py for ASGI) is written against these two protocols, so
the `ws` object, the views, groups and consumers do not depend on which
server carries the socket. A front end that can upgrade a connection puts an
`Upgrade` in `request.META[UPGRADE_KEY]` before Django sees the request;
after the view returns it sends nothing more if `Upgrade.upgraded` is true:
the socket was the response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Protocol

#: Where a front end that can upgrade puts its Upgrade, in request.META.
UPGRADE_KEY = "async_handler.websocket"


@dataclass(frozen=True)
class Frame:
    """One message from the client, or the end of the socket (kind "close")."""

    kind: Literal["text", "bytes", "close"]
    data: str | bytes | None = None
    code: int | None = None  # for "close": the close code the socket ended with
    reason: str = ""


@dataclass(frozen=True)
class AcceptOptions:
    """What the transport needs to accept: chosen by the view layer from settings."""

    subprotocol: str | None
    heartbeat: float | None  # seconds between pings; None: no pings
    max_message_size: int  # bytes; 0: no limit
    compression: bool  # offer permessage-deflate
    send_timeout: float | None = None  # seconds a send may wait on a full buffer; then drop
    headers: tuple[tuple[str, str], ...] = ()  # extra headers on the 101 response


class SocketTransport(Protocol):
    """An accepted socket. One task receives at a time; any task may send or close."""

    @property
    def closed(self) -> bool: ...

    @property
    def close_code(self) -> int | None: ...

    async def receive(self) -> Frame: ...

    async def send_text(self, data: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class Upgrade(Protocol):
    """A front end's way to turn the request's connection into a socket."""

    #: True once accept() has sent the 101 response: the front end then sends nothing.
    upgraded: bool
    #: Called when the server stops: the socket should close with 1001.
    on_going_away: Callable[[], None] | None

    async def accept(self, options: AcceptOptions) -> SocketTransport: ...
