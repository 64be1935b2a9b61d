"""consumer_view: a Channels consumer served by a WebSocket view (work in progress)."""

from __future__ import annotations

from typing import Any


def consumer_view(app: Any) -> Any:
    raise NotImplementedError
