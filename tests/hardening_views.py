"""Views for the hardening tests and the soak: a view that records that it ran, diagnostics."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt


def _record(request: Any, body: bytes) -> None:
    """Append one line per run to $HARDENING_MARKER, so a test sees which requests ran a view."""
    marker = os.environ.get("HARDENING_MARKER")
    if marker:
        with open(marker, "a") as fh:
            fh.write(f"{request.method} {request.get_full_path()} {len(body)}\n")


@csrf_exempt
async def record(request: Any) -> HttpResponse:
    """Any method: record the request, answer with the body length it saw."""
    body = request.body
    _record(request, body)
    return HttpResponse(f"ran {len(body)}")


@csrf_exempt
def sink(request: Any) -> HttpResponse:
    """A sync view reading the body, as the soak's uploads do."""
    return HttpResponse(f"got {len(request.body)}")


async def stream(request: Any) -> StreamingHttpResponse:
    """?n= chunks of 1 KiB, with a loop turn between them."""
    async def chunks() -> Any:
        for _ in range(int(request.GET.get("n", "16"))):
            await asyncio.sleep(0)
            yield b"s" * 1024

    return StreamingHttpResponse(chunks())


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def diag(request: Any) -> JsonResponse:
    """This worker's pid, RSS, open fds, asyncio tasks, threads and thread-pool levels."""
    # gunicorn imported the application from tests.wsgi_app; this is that same object.
    from tests.wsgi_app import application

    pool = application.pool
    return JsonResponse({
        "pid": os.getpid(),
        "rss_kib": _rss_kib(),
        "fds": len(os.listdir("/proc/self/fd")),
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "pool_busy": pool.busy if pool is not None else None,
        "pool_queued": pool.queued if pool is not None else None,
    })


async def echo(request: Any) -> HttpResponse:
    """?i= back, so a pipelining client can check the order of the answers."""
    return HttpResponse(request.GET.get("i", ""))
