"""The test project's asgi.py, as a user writes it; tests.concurrency_settings by environment."""
from __future__ import annotations

import os

from async_handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
application = get_asgi_application()

if "receiver" in os.environ.get("ASYNC_HANDLER_TEST_EXTRA", "").split(","):
    from tests.concurrency_views import connect_receiver

    connect_receiver()
