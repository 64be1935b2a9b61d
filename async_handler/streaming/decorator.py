"""@stream_body: an async view that gets the request body as it arrives.

The view is called as `view(request, body, *args, **kwargs)`. The mark it
carries tells the core, before the body is read, to leave the body with the
front end (core/streamcheck.py); the body argument then reads it off the
connection. Under a plain WSGI server or with a body already read the same
view works, over `wsgi.input` or the request's stream (wsgi.py).

A body that fails while the view reads it (too large, stalled, malformed)
raises into the view so that it can clean up; if the view lets it through,
it is answered here with its 4xx and a log line, never a 500.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Awaitable, Callable

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse

from ..core.exchange import BadRequest, BodyTimeout, BodyTooLarge
from ..core.stream import LAZY_KEY, LazyBody, failure_status
from ..core.streamcheck import STREAM_MARK
from .body import RequestBody
from .wsgi import wsgi_body

logger = logging.getLogger("async_handler")
View = Callable[..., Awaitable[Any]]


def open_body(request: Any) -> RequestBody:
    """The RequestBody of `request`: live off the front end, replayed, or over wsgi.input."""
    lazy: LazyBody | None = request.META.get(LAZY_KEY)
    content_type = request.META.get("CONTENT_TYPE", "")
    if lazy is None:
        return wsgi_body(request, content_type)
    if lazy.placeholder:
        # The empty POST CsrfViewMiddleware was given goes; the view has the real body.
        del request._post, request._files
        lazy.placeholder = False
    replayed = lazy.whole is not None
    length = int(request.META["CONTENT_LENGTH"]) if replayed else lazy.declared
    return RequestBody(lazy.stream(), length, content_type, replayed)


def failure_response(exc: Exception, request: Any, view: Any) -> HttpResponse:
    """The 4xx for a body that failed and that the view let through, logged once."""
    status, text = failure_status(exc)
    logger.warning("Request body for %s (%s) from %s failed: %s: %d", request.path,
                   getattr(view, "__qualname__", view), request.META.get("REMOTE_ADDR", ""),
                   exc, status)
    response = HttpResponse(text, status=status, content_type="text/plain")
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _probe(view: Callable[..., Any]) -> bool:
    # Django's method_decorator applies the decorator once to a sync dummy to copy
    # what it sets onto its own wrapper (django.utils.decorators._update_method_wrapper).
    return getattr(view, "__qualname__", "").startswith("_update_method_wrapper.")


def stream_body(view: View) -> View:
    """Make `async def view(request, body, *args, **kwargs)` read its body as it arrives.

    Also on an async class-based view's `dispatch`, or its handlers through
    `method_decorator(stream_body, name="post")`; the body follows the request.
    """
    if not iscoroutinefunction(view) and not _probe(view):
        raise TypeError(f"@stream_body needs an async def view, not {view!r}")

    @functools.wraps(view)
    async def streaming(*args: Any, **kwargs: Any) -> Any:
        # A function view gets (request, ...); a method (self, request, ...).
        at = 0 if isinstance(args[0], HttpRequest) else 1
        request = args[at]
        body = open_body(request)
        try:
            return await view(*args[:at + 1], body, *args[at + 1:], **kwargs)
        except (BodyTooLarge, BodyTimeout, BadRequest) as exc:
            return failure_response(exc, request, view)
        finally:
            await body.aclose()

    setattr(streaming, STREAM_MARK, True)
    return streaming
