"""AsyncDjangoApplication: one Django handler for WSGI servers and for aiohttp's loop.

Called as `app(environ, start_response)` it is Django's WSGIHandler, so a
plain WSGI server keeps working. Called as `app(aiohttp_request)` it returns
a coroutine that serves the request through the core (core/handler.py): the
full middleware chain on the event loop, async views awaited there, sync
work on a bounded pool of threads.
"""

from __future__ import annotations

import inspect
from typing import Any, Coroutine

from aiohttp import web
from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction

from . import client
from .aiohttp.handle import handle
from .core.handler import CoreHandler


class AsyncDjangoApplication(CoreHandler):
    """Django's handler for both worlds: WSGI callable and aiohttp request handler."""

    services = ((client.open, client.close),)

    def __call__(self, *args: Any) -> Any:
        """WSGI with (environ, start_response); aiohttp's handler with (request)."""
        if len(args) == 1:
            return self.handle(args[0])
        return CoreHandler.__call__(self, *args)

    def handle(self, areq: web.BaseRequest) -> Coroutine[Any, Any, web.StreamResponse]:
        """Serve one aiohttp request through Django (awaitable: aiohttp/handle.py's coroutine,
        without a frame of its own held for the life of the request)."""
        return handle(self, areq)

    def make_view_atomic(self, view: Any) -> Any:
        # On the sync path Django runs async views with async_to_sync; here a
        # view that hands back a coroutine is run to completion the same way,
        # and client.session() gives each such view its own session.
        atomic = super().make_view_atomic(view)
        if iscoroutinefunction(atomic):
            async def scoped(request: Any, *args: Any, **kwargs: Any) -> Any:
                token = client.request_scope()
                try:
                    return await atomic(request, *args, **kwargs)
                finally:
                    await client.close_request_scope(token)

            return markcoroutinefunction(scoped)

        def resolving(request: Any, *args: Any, **kwargs: Any) -> Any:
            response = atomic(request, *args, **kwargs)
            if inspect.isawaitable(response):
                async def wait() -> Any:
                    token = client.request_scope()
                    try:
                        return await response
                    finally:
                        await client.close_request_scope(token)

                return async_to_sync(wait)()
            return response

        return resolving


def get_async_application() -> AsyncDjangoApplication:
    """Set up Django and return the application, as get_wsgi_application() does."""
    import django

    django.setup(set_prefix=False)
    return AsyncDjangoApplication()
