"""Django's own ASGI application: the async baseline under gunicorn's asgi worker and uvicorn."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_project.settings")
application = get_asgi_application()
