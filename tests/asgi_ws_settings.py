"""Settings for the ASGI WebSocket server tests: tests.asgi_settings with an in-memory layer."""
from __future__ import annotations

from tests.asgi_settings import *  # noqa: F403

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
