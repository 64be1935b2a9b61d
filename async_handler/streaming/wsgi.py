"""A body that the core did not leave with a front end: under a WSGI server, or already read.

Under gunicorn's sync or gthread workers, wsgiref or Django's runserver, the
view's event loop runs in the request's thread's async_to_sync; blocks of
`wsgi.input` are read back on that thread (sync_to_async), one at a time, so
the body is never held whole. MAX_BODY_SIZE applies as on the loop front ends.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Callable

from asgiref.sync import sync_to_async
from django.http import RawPostDataException

from .. import conf
from ..core.exchange import BodyTooLarge, MalformedBody
from .body import RequestBody

#: Bytes read from wsgi.input at a time: one thread hop per block.
BLOCK = 256 * 1024


def wsgi_body(request: Any, content_type: str) -> RequestBody:
    """The body of a request whose input is a file-like object (WSGI, or read already)."""
    declared_text = request.META.get("CONTENT_LENGTH") or ""
    declared = int(declared_text) if declared_text.isdigit() else None
    if hasattr(request, "_body"):  # middleware read request.body
        return RequestBody(_replay(request._body), len(request._body), content_type, True)
    if request._read_started:
        raise RawPostDataException(
            "The request body was read as a stream before the @stream_body view "
            "(request.POST of a multipart body?); it cannot be given to the view.")
    environ: Any = getattr(request, "environ", None)
    read: Callable[[int], bytes] | None = None
    if declared or (declared is None and environ is None):
        read = request.read  # an ASGIRequest's stream ends where its body does
    elif declared is None and environ.get("wsgi.input_terminated"):
        # A chunked body: the server ends wsgi.input at its end (gunicorn does); Django's
        # request, with no CONTENT_LENGTH, would read nothing of it.
        read = environ["wsgi.input"].read
    return RequestBody(_blocks(read, declared), declared, content_type, False)


async def _replay(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), BLOCK):
        yield data[start:start + BLOCK]


async def _blocks(read: Callable[[int], bytes] | None,
                  declared: int | None) -> AsyncIterator[bytes]:
    if read is None:
        return
    limit = conf.get("MAX_BODY_SIZE")
    if declared is not None and limit is not None and declared > limit:
        raise BodyTooLarge(limit, False)
    read_block = sync_to_async(read)
    size = 0
    while True:
        try:
            block = await read_block(BLOCK)
        except OSError as exc:  # the server's input failed: client gone, bad framing
            raise MalformedBody(f"Request body unreadable: {exc}") from exc
        if not block:
            break
        size += len(block)
        if limit is not None and size > limit:
            raise BodyTooLarge(limit, False)
        yield block
    if declared is not None and size != declared:
        raise MalformedBody(f"Body of {size} bytes, but a Content-Length of {declared}")
