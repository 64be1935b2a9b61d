"""Read a request body on the loop before Django sees the request.

Sync code then never blocks on the network. Django's own limits apply while
the body streams in, as does the server's cap, and a body that stops arriving
is cut off; large bodies are spooled to a temporary file.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from typing import IO, Any

from aiohttp import web

from .request import RequestOptions


class BodyTooLarge(Exception):
    """The body passed a limit while streaming in."""

    def __init__(self, limit: int, django_limit: bool) -> None:
        super().__init__(f"request body exceeded {limit} bytes")
        self.limit = limit
        self.django_limit = django_limit


class BodyTimeout(Exception):
    """No body bytes arrived for `timeout` seconds; answer 408."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no request body bytes for {timeout} s")
        self.timeout = timeout


class _IdleWatch:
    """Fails a body read that sees no bytes for `timeout` seconds.

    One timer per body, re-armed lazily: each chunk only records the time.
    As nginx's client_body_timeout, it is the gap between reads that counts, so
    a slow but steady upload is not cut off.
    """

    __slots__ = ("loop", "content", "timeout", "last", "handle")

    def __init__(self, content: Any, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.content = content
        self.timeout = timeout
        self.last = self.loop.time()
        self.handle: asyncio.TimerHandle | None = self.loop.call_later(timeout, self._check)

    def _check(self) -> None:
        left = self.last + self.timeout - self.loop.time()
        if left > 0:
            self.handle = self.loop.call_later(left, self._check)
            return
        self.handle = None
        self.content.set_exception(BodyTimeout(self.timeout))

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


def body_limit(environ: dict[str, Any], options: RequestOptions,
               data_upload_max: int | None) -> tuple[int | None, bool]:
    """The byte limit for this body and whether it is Django's (400) or the server's (413).

    Multipart bodies carry files, which DATA_UPLOAD_MAX_MEMORY_SIZE excludes,
    so they answer only to the server's cap.
    """
    server = options.max_body_size
    if data_upload_max is None or environ.get("CONTENT_TYPE", "").startswith("multipart/"):
        return server, False
    if server is None or data_upload_max < server:
        return data_upload_max, True
    return server, False


async def read_body(areq: web.BaseRequest, environ: dict[str, Any], options: RequestOptions,
                    *, data_upload_max: int | None, spool_max: int) -> IO[bytes]:
    """Read the whole body into memory or, past `spool_max`, a temporary file.

    Raises BodyTooLarge as soon as a limit is passed, before reading on, and
    aiohttp's connection errors if the client goes away mid-body.
    """
    limit, django_limit = body_limit(environ, options, data_upload_max)
    # Until the body is read whole, Django sees none.
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(), "0"
    declared = areq.headers.get("Content-Length")
    if declared and limit is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, django_limit)
    if not areq.body_exists:
        stream: IO[bytes] = environ["wsgi.input"]
        if declared is None:
            environ.pop("CONTENT_LENGTH")
        return stream
    if areq.version >= (1, 1) and areq.headers.get("Expect", "").lower() == "100-continue":
        # The interim response goes straight to the transport: it is not the
        # response, and aiohttp's writer would count it as one.
        transport = areq.transport
        if transport is not None:
            transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    content = areq.content
    buffer = bytearray()
    spooled: IO[bytes] | None = None
    size = 0
    watch = _IdleWatch(content, options.body_timeout) if options.body_timeout else None
    try:
        while True:
            chunk = await content.readany()
            if not chunk:
                break
            if watch is not None:
                watch.last = watch.loop.time()
            size += len(chunk)
            if limit is not None and size > limit:
                raise BodyTooLarge(limit, django_limit)
            if spooled is not None:
                spooled.write(chunk)
            elif len(buffer) + len(chunk) > spool_max:
                spooled = tempfile.TemporaryFile(suffix=".async_handler")
                spooled.write(buffer)
                spooled.write(chunk)
                buffer = bytearray()
            else:
                buffer += chunk
    except BaseException:
        if spooled is not None:
            spooled.close()
        raise
    finally:
        if watch is not None:
            watch.cancel()
    if spooled is not None:
        spooled.seek(0)
        stream = spooled
    else:
        stream = io.BytesIO(buffer)
    # Chunked bodies have no Content-Length; Django reads CONTENT_LENGTH
    # bytes, so the length read is what it must see.
    environ["CONTENT_LENGTH"] = str(size)
    environ["wsgi.input"] = stream
    return stream
