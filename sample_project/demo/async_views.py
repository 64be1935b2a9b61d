"""Async demo views: awaited on the worker's event loop, so many run at once in one process."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.urls import reverse

from async_handler.client import session as shared_session
from demo.params import bounded_int

FANOUT_CALLS = 3
UPSTREAM_TIMEOUT = aiohttp.ClientTimeout(total=10)


async def async_view(request: HttpRequest) -> JsonResponse:
    """Await the async ORM and report the thread the view ran on (the event loop's)."""
    users = await get_user_model().objects.acount()
    return JsonResponse(
        {"view": "async", "thread": threading.current_thread().name, "users": users}
    )


async def slow(request: HttpRequest) -> JsonResponse:
    """Stand in for a slow upstream API: await ``asyncio.sleep`` for ``?ms=`` milliseconds."""
    ms = bounded_int(request, "ms", default=300, low=0, high=5000)
    await asyncio.sleep(ms / 1000)
    return JsonResponse({"view": "slow", "slept_ms": ms})


async def _fetch(url: str) -> dict[str, Any]:
    """GET one URL with the worker's shared aiohttp session; return its status, body and time."""
    started = time.perf_counter()
    async with shared_session().get(url, timeout=UPSTREAM_TIMEOUT) as response:
        body = await response.json()
        return {
            "url": url,
            "status": response.status,
            "body": body,
            "elapsed": round(time.perf_counter() - started, 3),
        }


async def fanout(request: HttpRequest) -> JsonResponse:
    """Call this server's own slow endpoint three times concurrently with aiohttp's client.

    The machine may have no internet, so the "upstream" is ``/slow/`` on the same server; the
    total elapsed time is about one call's, not the sum of all three. The calls share
    async_handler's per-worker ClientSession, so its connection pool is reused across requests.
    """
    ms = bounded_int(request, "ms", default=300, low=0, high=2000)
    url = request.build_absolute_uri(f"{reverse('demo:slow')}?ms={ms}")
    started = time.perf_counter()
    calls = await asyncio.gather(*(_fetch(url) for _ in range(FANOUT_CALLS)))
    elapsed = time.perf_counter() - started
    return JsonResponse(
        {
            "view": "fanout",
            "calls": calls,
            "elapsed": round(elapsed, 3),
            "sequential_would_take": round(FANOUT_CALLS * ms / 1000, 3),
        }
    )


async def _async_chunks(count: int, delay: float) -> AsyncIterator[str]:
    """Yield numbered lines, awaiting ``delay`` seconds between them without blocking the loop."""
    started = time.perf_counter()
    for number in range(1, count + 1):
        if number > 1:
            await asyncio.sleep(delay)
        yield f"async chunk {number}/{count} at {time.perf_counter() - started:.2f}s\n"


async def stream_async(request: HttpRequest) -> StreamingHttpResponse:
    """Stream lines from an async generator; each one reaches the client as it is made."""
    count = bounded_int(request, "chunks", default=5, low=1, high=50)
    delay = bounded_int(request, "ms", default=500, low=0, high=5000) / 1000
    return StreamingHttpResponse(
        _async_chunks(count, delay), content_type="text/plain; charset=utf-8"
    )
