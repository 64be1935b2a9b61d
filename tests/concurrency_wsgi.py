"""wsgi.py of the concurrency tests; `receiver` in ASYNC_HANDLER_TEST_EXTRA adds a receiver."""

from __future__ import annotations

import os

from async_handler import get_async_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.concurrency_settings")
application = get_async_application()

if "receiver" in os.environ.get("ASYNC_HANDLER_TEST_EXTRA", "").split(","):
    from tests.concurrency_views import connect_receiver

    connect_receiver()
