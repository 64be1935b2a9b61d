"""Send a Django HttpResponse through a front end's sink, streaming chunk by chunk.

Streaming bodies go out as they are produced: async iterators on the loop,
sync ones one chunk per hop on the request's thread (Django's ASGI handler
buffers sync iterators whole), and files by the transport's zero-copy send
where it has one, else in blocks read off the loop, never whole in memory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from .exchange import Headers, ResponseSink

logger = logging.getLogger("async_handler")
FILE_BLOCK = 256 * 1024
_END = object()

RunSync = Callable[..., Awaitable[Any]]


def response_headers(response: Any) -> Headers:
    """The response's header fields, cookies included, as (name, value) pairs."""
    headers = list(response.items())
    for cookie in response.cookies.values():
        headers.append(("Set-Cookie", cookie.output(header="").strip()))
    return headers


def _next_chunk(iterator: Any) -> Any:
    return next(iterator, _END)


def _read_block(filelike: Any, size: int) -> bytes:
    data = filelike.read(size)
    return data if isinstance(data, bytes) else data.encode()


async def send_response(sink: ResponseSink, response: Any, run_sync: RunSync, *,
                        head: bool = False, remote: str = "") -> None:
    """Write `response` to the sink.

    A client that has gone away ends the sending quietly: that is not an error
    of the server's, and the front end then closes the connection.
    """
    status, reason = response.status_code, response.reason_phrase
    try:
        if not response.streaming:
            await sink.send(status, reason, response_headers(response), response.content)
            return
        await sink.start(status, reason, response_headers(response))
        if not head and status not in (204, 304):
            await _send_body(sink, response, run_sync)
        await sink.end()
    except ConnectionError:  # reset, broken pipe, aborted
        logger.debug("Client %s went away before the response was sent", remote)


async def _send_body(sink: ResponseSink, response: Any, run_sync: RunSync) -> None:
    filelike = getattr(response, "file_to_stream", None)
    if filelike is not None and hasattr(filelike, "read"):
        await _send_file(sink, filelike, response)
    elif getattr(response, "is_async", False):
        async for chunk in response.streaming_content:
            await sink.write(chunk)
    else:
        iterator = iter(response.streaming_content)
        while (chunk := await run_sync(_next_chunk, iterator)) is not _END:
            await sink.write(chunk)


async def _send_file(sink: ResponseSink, filelike: Any, response: Any) -> None:
    remaining = None
    length = response.get("Content-Length")
    if length and length.isdigit():
        remaining = int(length)
    if remaining:
        try:
            filelike.fileno()
            offset = filelike.tell()
        except (AttributeError, OSError, ValueError):
            pass
        else:
            if await sink.sendfile(filelike, offset, remaining):
                return
    # Blocks are read on the loop's default executor: file reads hold no
    # thread-sensitive state, so they need not wait for the request's thread.
    loop = asyncio.get_running_loop()
    while remaining is None or remaining > 0:
        size = FILE_BLOCK if remaining is None else min(FILE_BLOCK, remaining)
        block = await loop.run_in_executor(None, _read_block, filelike, size)
        if not block:
            break
        await sink.write(block)
        if remaining is not None:
            remaining -= len(block)
