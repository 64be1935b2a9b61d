"""The body of a request whose view streams it (@stream_body): left with the front end.

For such a view the core does not read the body before Django runs. The
request's input is a LazyBody over the front end's chunk iterator, so the
transport's own flow control holds the client back until the view reads
(aiohttp pauses the socket past its StreamReader's high-water mark, an ASGI
server stops reading until `receive()` is awaited).

Sync code that reads `request.body` or `request.POST` before the view (most
often CsrfViewMiddleware) gets the whole body, read then on the loop under
the same limits as every other request (core/body.py); the view's iterator
replays it. The decorator itself lives in async_handler.streaming.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import IO, Any, AsyncIterator

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import RawPostDataException, UnreadablePostError

from .body import body_limit, declared_length, read_body
from .exchange import (
    BadRequest,
    BodyTimeout,
    BodyTooLarge,
    Exchange,
    MalformedBody,
    RequestOptions,
    ResponseSink,
)
from .streamcheck import reading_middleware, streams

logger = logging.getLogger("async_handler")
#: The request.META key the stream_body view finds its LazyBody under.
LAZY_KEY = "async_handler.lazy_body"
#: Blocks replayed to the view from a body middleware read whole.
REPLAY_BLOCK = 256 * 1024


def failure_status(exc: BaseException) -> tuple[int, str]:
    """The status and short text a failed body is answered with."""
    if isinstance(exc, BodyTooLarge):
        return (400, "Bad Request: request body too large\n") if exc.django_limit else (
            413, "Request Entity Too Large\n")
    if isinstance(exc, BodyTimeout):
        return 408, "Request Timeout\n"
    return 400, f"Bad Request: {exc}\n"


class LazyBody:
    """A request input whose bytes stay with the front end until Django or the view reads them."""

    def __init__(self, chunks: AsyncIterator[bytes], meta: dict[str, Any],
                 options: RequestOptions) -> None:
        self.chunks = chunks
        self.meta = meta
        self.options = options
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        self.declared = declared_length(meta)  # BadRequest if not a number
        limit = options.max_body_size
        if self.declared is not None and limit is not None and self.declared > limit:
            raise BodyTooLarge(limit, False)
        #: The request's META, where a body read whole sets its length.
        self.request_meta: dict[str, Any] = meta
        #: The whole body, when sync code before the view read it.
        self.whole: IO[bytes] | None = None
        self.reader: str | None = None
        self.taken = False  # the view's iterator has the chunks
        self.finished = False  # read to its end, or replayed whole
        self.failure: BaseException | None = None
        self.placeholder = False  # request.POST left unread for CsrfViewMiddleware
        self._future: Any = None

    # The file-like side, for Django's request: read/readline through the whole body.
    def read(self, size: int = -1) -> bytes:
        return self._whole().read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._whole().readline(size)

    def close(self) -> None:
        """Django closes its input after request.body; the spool stays for the view's replay."""

    def bind(self, request: Any) -> None:
        """Make `request` read through this body: its stream, and POST parsing."""
        self.request_meta = request.META
        request.META[LAZY_KEY] = self
        request._stream = self
        load = request._load_post_and_files

        def load_post_and_files() -> None:
            # Django's multipart parser takes CONTENT_LENGTH before reading, so the
            # body (of a chunked request, no length yet) is read whole first.
            if self.whole is None and not self.taken and request.method == "POST" and (
                    request.content_type in ("multipart/form-data",
                                             "application/x-www-form-urlencoded")):
                name = reading_middleware()
                if name and _is_csrf(name) and settings.CSRF_HEADER_NAME in request.META:
                    # CsrfViewMiddleware reads POST for a form token before it looks at the
                    # header; with a header token, an empty POST makes it use that header,
                    # and the body stays for the view (the stricter of Django's two checks).
                    from django.http import QueryDict
                    from django.utils.datastructures import MultiValueDict

                    request._post, request._files = QueryDict(), MultiValueDict()
                    self.placeholder = True
                    return
                self._whole(name)
            load()

        request._load_post_and_files = load_post_and_files

    def _whole(self, reader: str | None = None) -> IO[bytes]:
        if self.whole is not None:
            return self.whole
        if self.taken:
            raise RawPostDataException(
                "The @stream_body view has read the request body as a stream; "
                "request.body and request.POST are no longer available.")
        if threading.get_ident() == self.loop_thread:
            raise RuntimeError(
                "request.body or request.POST of a @stream_body view was read on the event "
                "loop, where reading the whole body would block it. Iterate the view's `body` "
                "argument instead; async middleware must not read the body of such a view.")
        self.reader = reader or reading_middleware() or "code before the view"
        logger.debug("%s read the body of a @stream_body view whole; the view replays it: %s",
                     self.reader, self.request_meta.get("PATH_INFO", ""))
        self._future = asyncio.run_coroutine_threadsafe(read_body(
            self.chunks, self.meta, self.options,
            data_upload_max=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            spool_max=settings.FILE_UPLOAD_MAX_MEMORY_SIZE), self.loop)
        try:
            whole, size = self._future.result()
        except BodyTooLarge as exc:
            self.failure = exc
            if exc.django_limit:
                raise RequestDataTooBig(
                    "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.") from None
            raise UnreadablePostError(str(exc)) from None
        except Exception as exc:  # timed out, cut short, mis-framed: answered after the view
            self.failure = exc
            raise UnreadablePostError(str(exc)) from None
        self.whole = whole
        self.request_meta["CONTENT_LENGTH"] = str(size)
        self.finished = True
        return whole

    async def stream(self) -> AsyncIterator[bytes]:
        """The view's chunks: live off the front end, or replayed from the whole body."""
        if self.whole is not None:
            self.whole.seek(0)
            while block := self.whole.read(REPLAY_BLOCK):
                yield block
                # A view that only hashes its chunks awaits nothing else: without this,
                # replaying a 600 MiB spool kept the loop for 0.5 s (sample upload page).
                await asyncio.sleep(0)
            return
        if self.taken:
            raise RuntimeError("the request body can be iterated only once")
        self.taken = True
        limit, _ = body_limit(self.meta, self.options, None)
        declared, size = self.declared, 0
        try:
            async for chunk in self.chunks:
                size += len(chunk)
                if limit is not None and size > limit:
                    raise BodyTooLarge(limit, False)
                if declared is not None and size > declared:
                    raise MalformedBody(f"Body longer than its Content-Length of {declared}")
                yield chunk
            if declared is not None and size != declared:
                raise MalformedBody(f"Body of {size} bytes, but a Content-Length of {declared}")
            self.finished = True
        except (BadRequest, BodyTooLarge, BodyTimeout, ConnectionError) as exc:
            if self.failure is None:
                self.failure = exc
            task = asyncio.current_task()
            if isinstance(exc, ConnectionError) and task is not None:
                # The client left (an ASGI http.disconnect): the view is cancelled
                # here, as aiohttp cancels a handler whose connection is lost.
                task.cancel()
                await asyncio.sleep(0)
            raise

    async def discard(self) -> None:
        """End of the request: stop the front end's reader and drop the spool."""
        if self._future is not None and not self._future.done():
            self._future.cancel()
        aclose = getattr(self.chunks, "aclose", None)
        if aclose is not None:
            await aclose()
        if self.whole is not None:
            self.whole.close()


def _is_csrf(path: str) -> bool:
    from django.middleware.csrf import CsrfViewMiddleware
    from django.utils.module_loading import import_string

    try:
        return issubclass(import_string(path), CsrfViewMiddleware)
    except ImportError:
        return False


async def settle(lazy: LazyBody, response: Any, sink: ResponseSink, remote: str) -> bool | None:
    """After a @stream_body view: refuse a body that failed, or say whether to close after.

    None when the response was replaced by the refusal, already sent; True
    when the connection must close after the response, since the rest of the
    body is still on it.
    """
    failure = lazy.failure
    if failure is not None:
        status, text = failure_status(failure)
        if isinstance(failure, ConnectionError):
            logger.info("Client left during a streamed request body from %s: %s", remote, failure)
        elif response.status_code != status:
            logger.warning("Streamed request body from %s failed (%s): %d", remote, failure,
                           status)
            await sink.refuse(status, text)
            return None
    return failure is not None or not lazy.finished


async def take_body(exchange: Exchange,
                    options: RequestOptions) -> tuple[Any, int, LazyBody | None]:
    """The request's input and its size: a LazyBody for a @stream_body view, which starts at
    once and reads the body itself; otherwise the body read whole first (core/body.py)."""
    if exchange.body is not None and exchange.route is not None and streams(*exchange.route()):
        lazy = LazyBody(exchange.body, exchange.meta, options)
        return lazy, lazy.declared or 0, lazy
    stream, size = await read_body(exchange.body, exchange.meta, options,
                                   data_upload_max=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                                   spool_max=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    return stream, size, None
