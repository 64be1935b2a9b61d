"""The WebSocket section's settings: the bench project plus CHANNEL_LAYERS on the bench's redis.

Every stack of the section, ours and Channels on uvicorn, runs these, so both use the same
channel layer (channels_redis on the throwaway redis-server at BENCH_REDIS_URL).
"""

from __future__ import annotations

import os

from .settings import *  # noqa: F403

ROOT_URLCONF = "bench_project.ws_urls"
# redis-py 8's asyncio pool holds at most 100 connections and then raises MaxConnectionsError
# (it does not wait): 500 sockets of one worker joining or leaving at once hit it, on every
# stack. The bench allows more; the section's notes say so. channels_redis's `capacity` (100
# messages) bounds the one Redis key a process's channels share, so a burst of group_sends to
# 250 small groups overflows it and messages are dropped, on every stack: raised too.
REDIS_MAX_CONNECTIONS = 2000
CHANNEL_CAPACITY = 1000
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"),
                    "max_connections": REDIS_MAX_CONNECTIONS,
                    # Above channels_redis's 5 s blocking read, or redis-py 8's 5 s default
                    # kills every consumer idle for 5 s (check async_handler.W007).
                    "socket_timeout": 10,
                }
            ],
            "capacity": CHANNEL_CAPACITY,
        },
    }
}
