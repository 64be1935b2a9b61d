"""The PostgreSQL section's views: the realistic async views of issue 10, point 2.

- `auser_sleep`: a logged-in `await request.auser()`, then `await asyncio.sleep(1)`; 403 when
  the session cookie is missing, which wrk counts as an error.
- `orm_sleep`: `aget()`, `sleep(0.5)`, `acount()`.
- `orm_upstream`: `aget()`, then a 1 s call to the bench's upstream server. On our worker it goes
  through `async_handler.client.session()`; the peers have no such session, so they get what a
  careful user would write: one ClientSession per event loop where the loop lives as long as the
  server (Django ASGI), one per request where each request runs on its own loop (WSGI's
  async_to_sync under gthread).

`UnknownSyncMiddleware` is the sync-only third-party middleware that BENCH_PG_EXTRA=mixin adds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from .models import Item

RECEIVED = {"count": 0}
_loop_sessions: dict[int, aiohttp.ClientSession] = {}


async def auser_sleep(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse("login first", status=403)
    await asyncio.sleep(1.0)
    return JsonResponse({"user": user.get_username()})


async def orm_sleep(request: HttpRequest) -> HttpResponse:
    item = await Item.objects.aget(pk=1)
    await asyncio.sleep(0.5)
    return JsonResponse({"name": item.name, "count": await Item.objects.acount()})


@asynccontextmanager
async def _upstream_session() -> AsyncIterator[aiohttp.ClientSession]:
    try:
        from async_handler import client

        yield client.session()
        return
    except (ImportError, RuntimeError):
        pass
    if threading.current_thread() is threading.main_thread():
        # Django's ASGI handler: one loop for the server's life, so one session on it.
        loop = asyncio.get_running_loop()
        found = _loop_sessions.get(id(loop))
        if found is None or found.closed:
            found = _loop_sessions[id(loop)] = aiohttp.ClientSession()
        yield found
        return
    async with aiohttp.ClientSession() as own:  # a throwaway loop per request
        yield own


async def orm_upstream(request: HttpRequest) -> HttpResponse:
    item = await Item.objects.aget(pk=1)
    async with _upstream_session() as session:
        async with session.get(settings.BENCH_UPSTREAM_URL) as reply:
            body = await reply.text()
            if reply.status != 200:
                return HttpResponse(f"upstream answered {reply.status}", status=502)
    return JsonResponse({"name": item.name, "upstream": body})


class UnknownSyncMiddleware(MiddlewareMixin):
    """A third-party sync-only hook middleware that no server knows anything about."""

    sync_capable, async_capable = True, False

    def process_request(self, request: HttpRequest) -> None:
        request.unknown_seen = True  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: Any) -> Any:
        response["X-Unknown"] = "1"
        return response


def count_request_started(sender: Any, **kwargs: Any) -> None:
    """The request_started receiver that BENCH_PG_EXTRA=receiver connects (a plain sync one)."""
    RECEIVED["count"] += 1
