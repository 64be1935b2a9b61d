"""A wsgi.py as startproject writes it, for the W001 check."""
from __future__ import annotations

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
