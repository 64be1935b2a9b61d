"""Views only the gunicorn worker tests need: pids, start markers, a loop blocker, reloads."""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from pathlib import Path
from typing import Any

from django.http import HttpResponse, JsonResponse


def _mark(request: Any) -> None:
    marker = request.GET.get("marker")
    if marker:
        Path(marker).write_text("started")


async def pid(request: Any) -> JsonResponse:
    """The serving process and the class of its event loop."""
    loop = type(asyncio.get_running_loop())
    return JsonResponse({"pid": os.getpid(), "loop": f"{loop.__module__}.{loop.__qualname__}"})


async def marked_async_sleep(request: Any) -> HttpResponse:
    """Writes ?marker= once running, so a test knows the request is in flight, then sleeps."""
    _mark(request)
    await asyncio.sleep(float(request.GET.get("s", "1")))
    return HttpResponse("async done " + "x" * 1000)


def marked_sync_sleep(request: Any) -> HttpResponse:
    _mark(request)
    time.sleep(float(request.GET.get("s", "1")))
    return HttpResponse("sync done " + "y" * 1000)


async def block_loop(request: Any) -> HttpResponse:
    """The mistake the heartbeat guards against: a blocking call inside an async view."""
    time.sleep(float(request.GET.get("s", "10")))
    return HttpResponse("loop was blocked")


async def reload_value(request: Any) -> HttpResponse:
    """Serves VALUE from the module named by WORKER_RELOAD_MODULE, which --reload watches."""
    module = importlib.import_module(os.environ["WORKER_RELOAD_MODULE"])
    return HttpResponse(f"{module.VALUE} {os.getpid()}")
