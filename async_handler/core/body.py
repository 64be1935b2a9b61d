"""Read a request body on the loop before Django sees the request.

Sync code then never blocks on the network. Django's own limits apply while
the body streams in, as does the server's cap, and a body whose length
differs from its Content-Length is refused; large bodies are spooled to a
temporary file. The chunks come from the front end, which knows the transport.
"""

from __future__ import annotations

import io
import tempfile
from typing import IO, Any, AsyncIterator

from .exchange import BadRequest, BodyTooLarge, RequestOptions


def body_limit(meta: dict[str, Any], options: RequestOptions,
               data_upload_max: int | None) -> tuple[int | None, bool]:
    """The byte limit for this body and whether it is Django's (400) or the server's (413).

    Multipart bodies carry files, which DATA_UPLOAD_MAX_MEMORY_SIZE excludes,
    so they answer only to the server's cap.
    """
    server = options.max_body_size
    if data_upload_max is None or meta.get("CONTENT_TYPE", "").startswith("multipart/"):
        return server, False
    if server is None or data_upload_max < server:
        return data_upload_max, True
    return server, False


def declared_length(meta: dict[str, Any]) -> int | None:
    """The Content-Length the request declares, or None; BadRequest if it is not a number."""
    declared = meta.get("CONTENT_LENGTH")
    if declared is None or declared == "":
        return None
    if not isinstance(declared, str) or not declared.isdigit():
        raise BadRequest(f"Invalid Content-Length: {declared!r}")
    return int(declared)


async def read_body(chunks: AsyncIterator[bytes] | None, meta: dict[str, Any],
                    options: RequestOptions, *, data_upload_max: int | None,
                    spool_max: int) -> tuple[IO[bytes], int]:
    """Read the whole body into memory or, past `spool_max`, a temporary file.

    Returns the stream, at its start, and its size. Raises BodyTooLarge as
    soon as a limit is passed, before reading on, BadRequest when the length
    read is not the declared one, and whatever the front end's chunks raise
    if the client goes away mid-body.
    """
    limit, django_limit = body_limit(meta, options, data_upload_max)
    declared = declared_length(meta)
    if declared is not None and limit is not None and declared > limit:
        raise BodyTooLarge(limit, django_limit)
    if chunks is None:
        return io.BytesIO(), 0
    buffer = bytearray()
    spooled: IO[bytes] | None = None
    size = 0
    try:
        async for chunk in chunks:
            size += len(chunk)
            if limit is not None and size > limit:
                raise BodyTooLarge(limit, django_limit)
            if declared is not None and size > declared:
                raise BadRequest(f"Body longer than its Content-Length of {declared}")
            if spooled is not None:
                spooled.write(chunk)
            elif len(buffer) + len(chunk) > spool_max:
                spooled = tempfile.TemporaryFile(suffix=".async_handler")
                spooled.write(buffer)
                spooled.write(chunk)
                buffer = bytearray()
            else:
                buffer += chunk
        if declared is not None and size != declared:
            raise BadRequest(f"Body of {size} bytes, but a Content-Length of {declared}")
    except BaseException:
        if spooled is not None:
            spooled.close()
        raise
    finally:
        # Stop the front end's reader now (its timers, its receive), not at garbage collection.
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()
    if spooled is not None:
        spooled.seek(0)
        return spooled, size
    return io.BytesIO(buffer), size
