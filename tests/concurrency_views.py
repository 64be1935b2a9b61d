"""Views and middleware for the concurrency tests: realistic async views that count themselves.

Each view counts how many of its kind are in flight at once on the worker's
loop, so a test can assert concurrency by what the server saw, not by time.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from asgiref.sync import sync_to_async
from django.core.signals import request_started
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from async_handler import client
from tests.models import Item

FLIGHT = {"now": 0, "peak": 0, "cancelled": 0, "started": 0}
RECEIVED: list[int] = []


@asynccontextmanager
async def in_flight() -> AsyncIterator[None]:
    FLIGHT["now"] += 1
    FLIGHT["started"] += 1
    FLIGHT["peak"] = max(FLIGHT["peak"], FLIGHT["now"])
    try:
        yield
    except asyncio.CancelledError:
        FLIGHT["cancelled"] += 1
        raise
    finally:
        FLIGHT["now"] -= 1


def _seconds(request: Any, default: float = 1.0) -> float:
    return float(request.GET.get("s", default))


async def auser_sleep(request: Any) -> HttpResponse:
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse("login first", status=403)
    async with in_flight():
        await asyncio.sleep(_seconds(request))
    return JsonResponse({"user": user.username})


async def orm_sleep(request: Any) -> HttpResponse:
    item = await Item.objects.aget(name="concurrency")
    async with in_flight():
        await asyncio.sleep(_seconds(request, 0.5))
    return JsonResponse({"name": item.name, "count": await Item.objects.acount()})


async def orm_upstream(request: Any) -> HttpResponse:
    item = await Item.objects.aget(name="concurrency")
    async with in_flight():
        async with client.session().get(request.GET["upstream"]) as reply:
            body = await reply.text()
    return JsonResponse({"name": item.name, "upstream": body})


def sync_hello(request: Any) -> HttpResponse:
    return HttpResponse(f"hello from {threading.current_thread().name}")


async def stats(request: Any) -> HttpResponse:
    from async_handler.threads import PoolThread

    pool = next((t.pool for t in threading.enumerate() if isinstance(t, PoolThread)), None)
    numbers = dict(FLIGHT, received=len(RECEIVED), pid=os.getpid())
    if pool is not None:
        numbers.update(threads=pool.threads, busy=pool.busy, parked=pool.parked,
                       queued=pool.queued, size=pool.size,
                       parkers=pool.parkers)
    if request.GET.get("reset"):
        FLIGHT.update(now=FLIGHT["now"], peak=0, cancelled=0, started=0)
        RECEIVED.clear()
    return JsonResponse(numbers)


class UnknownSyncMiddleware(MiddlewareMixin):
    """A third-party sync-only hook middleware the handler knows nothing about."""

    sync_capable, async_capable = True, False

    def process_request(self, request: Any) -> None:
        request.unknown_seen = True

    def process_response(self, request: Any, response: Any) -> Any:
        response["X-Unknown"] = "1"
        return response


def wrapping_middleware(get_response: Any) -> Any:
    """An old-style sync-only middleware whose __call__ wraps the rest of the chain."""

    def middleware(request: Any) -> Any:
        request.wrapper_thread = threading.get_ident()
        response = get_response(request)
        response["X-Wrapped"] = "1"
        return response

    return middleware


_local = threading.local()


class ThreadLocalMiddleware(MiddlewareMixin):
    """The "current user" pattern: state set in one sync call, read in a later one."""

    sync_capable, async_capable = True, False

    def process_request(self, request: Any) -> None:
        _local.marker = request.headers.get("X-Marker", "")


def read_thread_local(request: Any) -> HttpResponse:
    return HttpResponse(getattr(_local, "marker", "<unset>"))


class TransactionMiddleware(MiddlewareMixin):
    """Opens a transaction in process_request and ends it in process_response."""

    sync_capable, async_capable = True, False

    def process_request(self, request: Any) -> None:
        if "X-Atomic" in request.headers:
            request.atomic = transaction.atomic()
            request.atomic.__enter__()
            request.atomic_thread = threading.get_ident()

    def process_response(self, request: Any, response: Any) -> Any:
        atomic = getattr(request, "atomic", None)
        if atomic is not None:
            response["X-Same-Thread"] = str(request.atomic_thread == threading.get_ident())
            if request.headers["X-Atomic"] == "fail":
                atomic.__exit__(RuntimeError, RuntimeError("roll back"), None)
            else:
                atomic.__exit__(None, None, None)
        return response


async def write_in_transaction(request: Any) -> HttpResponse:
    await Item.objects.acreate(name=f"tx-{request.GET['n']}")
    where = await sync_to_async(lambda: (threading.get_ident(), connection.in_atomic_block))()
    await asyncio.sleep(_seconds(request, 0.2))
    await Item.objects.acreate(name=f"tx-{request.GET['n']}")
    return JsonResponse({"thread": where[0], "atomic": where[1]})


def _receiver(sender: Any, **kwargs: Any) -> None:
    RECEIVED.append(threading.get_ident())


def connect_receiver() -> None:
    request_started.connect(_receiver, dispatch_uid="tests.concurrency_views")


CANCEL: dict[str, Any] = {}


async def cancellable(request: Any) -> HttpResponse:
    """Waits until cancelled; records the loop and thread it ran on."""
    CANCEL["loop"] = asyncio.get_running_loop()
    CANCEL["thread"] = threading.get_ident()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        CANCEL["cancelled"] = True
        raise
    return HttpResponse("not cancelled")


class DualMiddleware:
    """A middleware with both a sync and an async __call__, as Django documents."""

    sync_capable = async_capable = True

    def __init__(self, get_response: Any) -> None:
        from asgiref.sync import iscoroutinefunction, markcoroutinefunction

        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self.__acall__(request)
        return self.get_response(request)

    async def __acall__(self, request: Any) -> Any:
        return await self.get_response(request)
