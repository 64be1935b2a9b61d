"""tests.settings with CHANNEL_LAYERS on the redis-server at ASYNC_HANDLER_TEST_REDIS."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ.get("ASYNC_HANDLER_TEST_REDIS", "redis://127.0.0.1")]},
    },
}
