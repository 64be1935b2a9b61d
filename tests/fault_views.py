"""Views, middleware and URLs of the fault tests (tests/threads/test_faults.py).

Views count what happened to them on the server, so a test can wait for the
server's view of events (started, cancelled, finished) instead of sleeping.
Views that "hang" block their thread on a gate until the test releases it
(/release/), with a long safety timeout so that a failed test never leaves a
thread blocked for ever.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path

from tests.models import Item

SAFETY = 300.0  # seconds a gate waits at most, should a test fail before releasing it
COUNTS: Counter[str] = Counter()
_lock = threading.Lock()
_gate = [threading.Event()]


def count(name: str) -> None:
    with _lock:
        COUNTS[name] += 1


def arrive(name: str) -> threading.Event:
    """Count `name` and return the gate current now: the next release opens it."""
    with _lock:
        COUNTS[name] += 1
        return _gate[0]


def release_gate() -> None:
    """Release every call waiting now; calls that start afterwards wait for the next release."""
    with _lock:
        old, _gate[0] = _gate[0], threading.Event()
    old.set()


def cancel_counter(get_response: Any) -> Any:
    """Outermost async middleware: counts requests cancelled, whatever ran below."""

    async def middleware(request: Any) -> Any:
        try:
            return await get_response(request)
        except asyncio.CancelledError:
            count("request_cancelled")
            raise

    return middleware


cancel_counter.sync_capable = False  # type: ignore[attr-defined]
cancel_counter.async_capable = True  # type: ignore[attr-defined]


def gated_wrapping_middleware(get_response: Any) -> Any:
    """A sync-only middleware wrapping the chain that, with X-Gate-Before, blocks on the
    gate (slow sync work) on its parked thread before it calls get_response."""

    def middleware(request: Any) -> Any:
        if "X-Gate-Before" in request.headers:
            arrive("before_started").wait(SAFETY)
            count("before_done")
        return get_response(request)

    return middleware


async def parked_wait(request: Any) -> HttpResponse:
    """Awaits for a long time (behind a wrapping middleware: while its request is parked)."""
    count("parked_started")
    try:
        if "orm" in request.GET:
            await Item.objects.filter(name="fault").acount()
        await asyncio.sleep(SAFETY)
    except asyncio.CancelledError:
        count("parked_cancelled")
        raise
    count("parked_finished")
    return HttpResponse("not cancelled")


def sync_hang(request: Any) -> HttpResponse:
    """A sync view that queries inside a transaction, then blocks until released."""
    gate = arrive("sync_started")
    with transaction.atomic():
        Item.objects.filter(name="fault").count()
        gate.wait(SAFETY)
    count("sync_finished")
    return HttpResponse("sync released")


def _gated_get() -> int:
    # What aget() runs in its thread, with the query held open until released.
    gate = arrive("aget_started")
    with transaction.atomic():
        n = Item.objects.filter(name="fault").count()
        gate.wait(SAFETY)
    count("aget_finished")
    return n


async def aget_hang(request: Any) -> HttpResponse:
    """An async view whose ORM call (sync_to_async, as aget's) is in progress until released."""
    try:
        n = await sync_to_async(_gated_get)()
    except asyncio.CancelledError:
        count("aget_cancelled")
        raise
    return HttpResponse(f"aget released {n}")


def sync_orm(request: Any) -> HttpResponse:
    count("sync_orm")
    return HttpResponse(f"sync {Item.objects.count()}")


async def async_orm(request: Any) -> HttpResponse:
    first = await Item.objects.order_by("pk").afirst()
    n = await Item.objects.acount()
    count("async_orm")
    return HttpResponse(f"async {n} {first.pk if first else None}")


def _fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:  # pragma: no cover - not Linux
        return -1


def pool_numbers() -> dict[str, int]:
    from async_handler.threads import PoolThread

    pool = next((t.pool for t in threading.enumerate() if isinstance(t, PoolThread)), None)
    if pool is None:
        return {}
    return {"busy": pool.busy, "parked": pool.parked, "parkers": pool.parkers,
            "threads": pool.threads, "queued": pool.queued, "size": pool.size,
            "idle_parkers": pool.parkers - pool.parked}


async def stats(request: Any) -> JsonResponse:
    """What the worker sees now; this request's own task and parked thread included."""
    numbers: dict[str, Any] = dict(COUNTS)
    tasks = asyncio.all_tasks()
    numbers.update(pool_numbers(), pid=os.getpid(), tasks=len(tasks),
                   cancelling=sum(1 for t in tasks if t.cancelling()),
                   fds=_fds(), os_threads=threading.active_count())
    return JsonResponse(numbers)


async def release(request: Any) -> HttpResponse:
    release_gate()
    return HttpResponse("released")


urlpatterns = [
    path("parked/", parked_wait),
    path("sync-hang/", sync_hang),
    path("aget-hang/", aget_hang),
    path("sync-orm/", sync_orm),
    path("async-orm/", async_orm),
    path("stats/", stats),
    path("release/", release),
]
