"""Sync demo views: the index page, a sync JSON view, a messages round trip and a sync stream.

Under async_handler's worker these run in its thread pool, never on the event loop.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from demo.credentials import DEMO_PASSWORD, DEMO_USERNAME
from demo.params import bounded_int


def index(request: HttpRequest) -> HttpResponse:
    """Render the page that links every demo, with the demo admin's credentials and API token.

    The token is read from the database, so the page shows the one that works even if it was
    regenerated in the admin.
    """
    token = Token.objects.filter(user__username=DEMO_USERNAME).values_list("key", flat=True)
    context = {
        "demo_username": DEMO_USERNAME,
        "demo_password": DEMO_PASSWORD,
        "demo_token": token.first(),
    }
    return render(request, "demo/index.html", context)


def sync_view(request: HttpRequest) -> JsonResponse:
    """Block for ``?ms=`` milliseconds and query the ORM, reporting which thread ran the view."""
    ms = bounded_int(request, "ms", default=0, low=0, high=5000)
    started = time.perf_counter()
    time.sleep(ms / 1000)
    users = get_user_model().objects.count()
    return JsonResponse(
        {
            "view": "sync",
            "thread": threading.current_thread().name,
            "slept_ms": ms,
            "users": users,
            "elapsed": round(time.perf_counter() - started, 3),
        }
    )


@require_POST
def add_message(request: HttpRequest) -> HttpResponse:
    """Queue a one-time message in the session and redirect to the index, which shows it once."""
    messages.success(request, "Hello from Django's messages framework: this shows exactly once.")
    return redirect("demo:index")


def _sync_chunks(count: int, delay: float) -> Iterator[str]:
    """Yield numbered lines, blocking ``delay`` seconds between them like slow sync I/O would."""
    started = time.perf_counter()
    for number in range(1, count + 1):
        if number > 1:
            time.sleep(delay)
        yield f"sync chunk {number}/{count} at {time.perf_counter() - started:.2f}s\n"


def stream_sync(request: HttpRequest) -> StreamingHttpResponse:
    """Stream lines from a blocking sync generator; each one reaches the client as it is made."""
    count = bounded_int(request, "chunks", default=5, low=1, high=50)
    delay = bounded_int(request, "ms", default=500, low=0, high=5000) / 1000
    return StreamingHttpResponse(
        _sync_chunks(count, delay), content_type="text/plain; charset=utf-8"
    )
