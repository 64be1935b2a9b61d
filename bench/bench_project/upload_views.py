"""The upload section's views: the same sha256 of the body, streamed or after spooling.

Each answers the digest, the byte count, and `time.monotonic()` of its first and last chunk, so
that the client (another process; CLOCK_MONOTONIC is system-wide on Linux) can tell how long the
view waited for its first bytes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

BLOCK = 1024 * 1024


async def _hash(chunks: AsyncIterable[bytes]) -> JsonResponse:
    """Hash every chunk; answer what the harness compares."""
    digest = hashlib.sha256()
    size = count = largest = 0
    first = last = 0.0
    async for chunk in chunks:
        if not count:
            first = time.monotonic()
        digest.update(chunk)
        size += len(chunk)
        count += 1
        largest = max(largest, len(chunk))
    last = time.monotonic()
    return JsonResponse(
        {
            "bytes": size,
            "sha256": digest.hexdigest(),
            "first_chunk": first,
            "last_chunk": last,
            "chunks": count,
            "largest_chunk": largest,
        }
    )


async def _blocks(request: HttpRequest) -> AsyncIterator[bytes]:
    # The worker has spooled the whole body to a temporary file before the view runs, so these
    # reads hit the page cache, not the network.
    while block := request.read(BLOCK):
        yield block


@csrf_exempt
async def hash_spooled(request: HttpRequest) -> JsonResponse:
    """The baseline: an ordinary async view reading the spooled body in 1 MiB blocks.

    Not `request.body`: that would hold all 2 GiB in the worker's memory at once, which no
    view hashing a large upload would do; reading in blocks is the best a view can do today,
    so the difference from the streamed view is the spooling alone.
    """
    return await _hash(_blocks(request))


try:
    from async_handler.streaming import stream_body
except ImportError:  # before issue 14 landed: the section skips its streamed rows
    stream_body = None


async def _streamed(request: HttpRequest, body: Any) -> JsonResponse:
    """The body's chunks as they arrive off the socket, hashed as they come."""
    return await _hash(body)


hash_streamed = csrf_exempt(stream_body(_streamed)) if stream_body is not None else None
