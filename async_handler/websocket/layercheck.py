"""System check W007: channels_redis hosts whose blocking reads outlast redis-py's socket timeout.

channels_redis waits for messages with BZPOPMIN for 5 s (`brpop_timeout`),
and redis-py 8 gives every connection a 5 s socket timeout by default
(redis-py 7 had none). On each idle channel the read then fails with
TimeoutError: a Channels consumer dies after 5 s without a message, on
uvicorn and Daphne as under consumer_view. Our own groups read again, but
each idle read still costs a reconnect. A host's `socket_timeout` above the
blocking read's timeout fixes it.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core import checks

REDIS_BACKEND = "channels_redis.core.RedisChannelLayer"
FIX = ('Give each host a socket timeout above the 5 s blocking read, e.g. "hosts": '
       '[{"address": "redis://...", "socket_timeout": 10}], or ?socket_timeout=10 in its URL.')


def default_socket_timeout() -> float | None:
    """redis-py's default socket timeout for asyncio connections, or None if it has none."""
    try:
        from redis.asyncio.connection import AbstractConnection
    except ImportError:
        return None
    default = inspect.signature(AbstractConnection.__init__).parameters.get("socket_timeout")
    value = getattr(default, "default", None)
    return value if isinstance(value, (int, float)) else None


def host_socket_timeout(host: Any, default: float | None) -> float | None:
    """The socket timeout one channels_redis host entry ends up with."""
    if isinstance(host, dict):
        if "socket_timeout" in host:
            return host["socket_timeout"]
        host = host.get("address", "")
    if isinstance(host, str):
        values = parse_qs(urlsplit(host).query).get("socket_timeout")
        if values:
            try:
                return float(values[-1])
            except ValueError:
                return default
    return default


def check_redis_layer_timeouts(app_configs: Any = None, **kwargs: Any,
                               ) -> list[checks.CheckMessage]:
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    default = default_socket_timeout()
    found: list[checks.CheckMessage] = []
    for alias, layer in layers.items():
        if not isinstance(layer, dict) or layer.get("BACKEND") != REDIS_BACKEND:
            continue
        config = layer.get("CONFIG") or {}
        wait = config.get("brpop_timeout", 5)  # not a documented option, but honoured if set
        for host in config.get("hosts") or ["redis://localhost:6379"]:
            timeout = host_socket_timeout(host, default)
            if timeout is not None and timeout <= wait:
                shown = host.get("address", host) if isinstance(host, dict) else host
                found.append(checks.Warning(
                    f"CHANNEL_LAYERS[{alias!r}] host {shown!r} has a {timeout:g} s socket "
                    f"timeout, no longer than channels_redis's {wait:g} s blocking read: idle "
                    "channels fail with TimeoutError and Channels consumers die.",
                    hint=FIX, id="async_handler.W007"))
    return found
