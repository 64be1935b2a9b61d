"""The test project's URLs plus the views only the worker tests need."""

from __future__ import annotations

from django.urls import path

from tests import worker_views
from tests.urls import urlpatterns as base_urlpatterns

urlpatterns = [
    *base_urlpatterns,
    path("pid/", worker_views.pid),
    path("marked-async-sleep/", worker_views.marked_async_sleep),
    path("marked-sync-sleep/", worker_views.marked_sync_sleep),
    path("block-loop/", worker_views.block_loop),
    path("reload-value/", worker_views.reload_value),
]
