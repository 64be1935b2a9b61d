"""Real async Django views under gunicorn: change one line of wsgi.py and one worker flag."""

from __future__ import annotations

from .handler import AsyncDjangoApplication, get_async_application

__all__ = ["AsyncDjangoApplication", "get_async_application"]
__version__ = "0.1.0"
