"""The ASGI front end: any ASGI server in front of the same core as the gunicorn worker.

app.py is the application; exchange.py describes a scope to the core (META by
Django's own ASGIRequest), response.py sends the response as ASGI messages,
and lifespan.py starts and stops the core with the server.
"""

from __future__ import annotations

from .app import ASGIApplication, get_asgi_application

__all__ = ["ASGIApplication", "get_asgi_application"]
