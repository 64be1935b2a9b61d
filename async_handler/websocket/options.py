"""Per-view WebSocket options: the decorator's overrides over ASYNC_HANDLER's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import conf

#: A decorator argument left at this takes the ASYNC_HANDLER setting.
DEFAULT: Any = object()


@dataclass(frozen=True)
class ViewOptions:
    """What @websocket_view(...) was given; DEFAULT fields read settings at each handshake,
    so override_settings and settings changed at startup both apply."""

    heartbeat: Any = DEFAULT
    max_message_size: Any = DEFAULT
    compression: Any = DEFAULT
    send_timeout: Any = DEFAULT
    subprotocols: tuple[str, ...] = ()
    check_origin: bool = True

    def resolved(self, name: str) -> Any:
        value = getattr(self, name)
        return conf.get("WEBSOCKET_" + name.upper()) if value is DEFAULT else value

    def choose_subprotocol(self, offered: list[str]) -> str | None:
        """The first protocol the client offers that the view speaks (RFC 6455 4.2.2)."""
        for name in offered:
            if name in self.subprotocols:
                return name
        return None
