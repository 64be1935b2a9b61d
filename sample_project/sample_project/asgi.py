"""ASGI entry point: the same project through async_handler's core on any ASGI server.

Run with ``uvicorn sample_project.asgi:application`` (or granian, Hypercorn, Daphne,
``gunicorn -k asgi``); see the README's "ASGI servers" section.
"""
from __future__ import annotations

import os

from async_handler import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_project.settings")

application = get_asgi_application()
