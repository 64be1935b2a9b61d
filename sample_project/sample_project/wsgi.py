"""WSGI entry point: the async_handler application, served by gunicorn's AiohttpWorker.

Run with ``gunicorn sample_project.wsgi -k async_handler.worker.AiohttpWorker``; the same
object also works under any plain WSGI server.
"""
from __future__ import annotations

import os

from async_handler import get_async_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_project.settings")

application = get_async_application()
