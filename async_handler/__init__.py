"""Real async Django views under gunicorn or any ASGI server: change one line of wsgi.py or asgi.py.

The names are imported on first use, so that importing the transport-free
core (async_handler.core) loads no server library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .application import AsyncDjangoApplication, get_async_application
    from .asgi import get_asgi_application

__all__ = ["AsyncDjangoApplication", "get_async_application", "get_asgi_application"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("AsyncDjangoApplication", "get_async_application"):
        from . import application

        return getattr(application, name)
    if name == "get_asgi_application":
        from .asgi import get_asgi_application

        return get_asgi_application
    raise AttributeError(f"module 'async_handler' has no attribute {name!r}")
