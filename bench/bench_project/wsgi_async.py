"""This package's application, served by async_handler.worker.AiohttpWorker."""

from __future__ import annotations

import os

from async_handler import get_async_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_project.settings")
application = get_async_application()
