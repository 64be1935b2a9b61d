"""tests.settings with CHANNEL_LAYERS on the redis-server at ASYNC_HANDLER_TEST_REDIS."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # Above channels_redis's 5 s blocking read (check async_handler.W007).
        "CONFIG": {"hosts": [{"address": os.environ.get("ASYNC_HANDLER_TEST_REDIS",
                                                        "redis://127.0.0.1"),
                              "socket_timeout": 10}]},
    },
}
