"""Views for the hardening tests and the soak: a view that records that it ran, diagnostics."""

from __future__ import annotations

import asyncio
import io
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


def environ_keys(request: Any) -> JsonResponse:
    """The WSGI keys a server sets for itself; writes ?m= to wsgi.errors."""
    meta = request.META
    blocks = list(meta["wsgi.file_wrapper"](io.BytesIO(b"f" * 20000), 8192))
    if request.GET.get("m"):
        meta["wsgi.errors"].write(f"wsgi.errors says {request.GET['m']}\n")
        meta["wsgi.errors"].flush()
    return JsonResponse({
        "SERVER_SOFTWARE": meta["SERVER_SOFTWARE"],
        "wsgi.multiprocess": meta["wsgi.multiprocess"],
        "wsgi.run_once": meta["wsgi.run_once"],
        "file_wrapper_blocks": [len(b) for b in blocks],
        "early_hints_callable": callable(meta.get("wsgi.early_hints")),
    })


LINK = ("Link", "</s.css>; rel=preload; as=style")


async def early_hints(request: Any) -> HttpResponse:
    """Two 103 responses, then the final one (an async view, on the loop)."""
    request.META["wsgi.early_hints"]([LINK])
    request.META["wsgi.early_hints"]([(b"Link", b"</a.js>; rel=preload; as=script")])
    return HttpResponse("hinted")


def early_hints_sync(request: Any) -> HttpResponse:
    """A 103 response from a sync view's thread, then the final one."""
    request.META["wsgi.early_hints"]([LINK])
    return HttpResponse("hinted")


def early_hints_bad(request: Any) -> HttpResponse:
    """A hint that would split the response is refused, and nothing is sent."""
    try:
        request.META["wsgi.early_hints"]([("Link", "x\r\nSet-Cookie: a=b")])
    except Exception as exc:  # gunicorn raises its InvalidResponseHeader, we ValueError
        return HttpResponse(f"refused {type(exc).__name__}")
    return HttpResponse("sent")


def own_server_header(request: Any) -> HttpResponse:
    response = HttpResponse("mine")
    response["Server"] = "mine/1.0"
    return response
