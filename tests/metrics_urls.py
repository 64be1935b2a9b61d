"""The worker test URLs plus a view that answers with async_handler.metrics.snapshot()."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from django.urls import path

from async_handler.metrics import snapshot
from tests.worker_urls import urlpatterns as worker_urlpatterns


async def worker_metrics(request: Any) -> JsonResponse:
    return JsonResponse(snapshot())


urlpatterns = [*worker_urlpatterns, path("metrics/", worker_metrics)]
