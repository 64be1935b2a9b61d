"""This package's ASGI application: the same project through async_handler's core."""

from __future__ import annotations

import os

from async_handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_project.settings")
application = get_asgi_application()
