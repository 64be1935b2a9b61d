"""Send a Django HttpResponse through aiohttp, streaming chunk by chunk.

Streaming bodies go out as they are produced: async iterators on the loop,
sync ones one chunk per hop on the request's thread (Django's ASGI handler
buffers sync iterators whole), and files in blocks read off the loop, never
whole in memory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web
from multidict import CIMultiDict

logger = logging.getLogger("async_handler")
FILE_BLOCK = 256 * 1024
_END = object()

RunSync = Callable[..., Awaitable[Any]]


def _headers(response: Any) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict(response.items())
    for cookie in response.cookies.values():
        headers.add("Set-Cookie", cookie.output(header="").strip())
    return headers


def _next_chunk(iterator: Any) -> Any:
    return next(iterator, _END)


def _read_block(filelike: Any, size: int) -> bytes:
    data = filelike.read(size)
    return data if isinstance(data, bytes) else data.encode()


async def send_response(areq: web.BaseRequest, response: Any,
                        run_sync: RunSync) -> web.StreamResponse:
    """Write `response` to the client and return the aiohttp response for logging.

    A client that has gone away ends the sending quietly: that is not an error
    of the server's, and aiohttp then closes the connection.
    """
    status, reason = response.status_code, response.reason_phrase
    if not response.streaming:
        out = web.Response(body=response.content, status=status, reason=reason,
                           headers=_headers(response))
        try:
            await out.prepare(areq)
            await out.write_eof()
        except ConnectionError:  # reset, broken pipe, aborted
            logger.debug("Client %s went away before the response was sent", areq.remote)
        return out
    stream = web.StreamResponse(status=status, reason=reason, headers=_headers(response))
    try:
        await stream.prepare(areq)
        if areq.method != "HEAD" and status not in (204, 304):
            await _send_body(stream, areq, response, run_sync)
        await stream.write_eof()
    except ConnectionError:  # reset, broken pipe, aborted
        logger.debug("Client %s went away during a streamed response", areq.remote)
    return stream


async def _send_body(stream: web.StreamResponse, areq: web.BaseRequest, response: Any,
                     run_sync: RunSync) -> None:
    filelike = getattr(response, "file_to_stream", None)
    if filelike is not None and hasattr(filelike, "read"):
        await _send_file(stream, areq, filelike, response)
    elif getattr(response, "is_async", False):
        async for chunk in response.streaming_content:
            await stream.write(chunk)
    else:
        iterator = iter(response.streaming_content)
        while (chunk := await run_sync(_next_chunk, iterator)) is not _END:
            await stream.write(chunk)


async def _send_file(stream: web.StreamResponse, areq: web.BaseRequest, filelike: Any,
                     response: Any) -> None:
    loop = asyncio.get_running_loop()
    remaining = None
    length = response.get("Content-Length")
    if length and length.isdigit():
        remaining = int(length)
    if remaining and await _sendfile(loop, areq, filelike, remaining):
        return
    # Blocks are read on the loop's default executor: file reads hold no
    # thread-sensitive state, so they need not wait for the request's thread.
    while remaining is None or remaining > 0:
        size = FILE_BLOCK if remaining is None else min(FILE_BLOCK, remaining)
        block = await loop.run_in_executor(None, _read_block, filelike, size)
        if not block:
            break
        await stream.write(block)
        if remaining is not None:
            remaining -= len(block)


async def _sendfile(loop: asyncio.AbstractEventLoop, areq: web.BaseRequest, filelike: Any,
                    count: int) -> bool:
    """Let the kernel copy a real file to the socket, as gunicorn's file_wrapper does.

    The headers went out when the response was prepared (StreamResponse sends
    them at once), so the body can follow straight on the transport. False
    when that cannot be done here: no OS file, a TLS or uvloop transport.
    """
    transport = areq.transport
    try:
        filelike.fileno()
        offset = filelike.tell()
    except (AttributeError, OSError, ValueError):
        return False
    if transport is None or not hasattr(loop, "sendfile"):
        return False
    try:
        await loop.sendfile(transport, filelike, offset, count, fallback=False)
    except (NotImplementedError, RuntimeError):
        return False
    return True
