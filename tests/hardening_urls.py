"""The worker tests' URLs plus the hardening views."""

from __future__ import annotations

from django.urls import path

from tests import hardening_views
from tests.worker_urls import urlpatterns as worker_urlpatterns

urlpatterns = [
    *worker_urlpatterns,
    path("h/record/", hardening_views.record),
    path("h/sink/", hardening_views.sink),
    path("h/stream/", hardening_views.stream),
    path("h/diag/", hardening_views.diag),
    path("h/echo/", hardening_views.echo),
    path("h/environ/", hardening_views.environ_keys),
    path("h/hints/", hardening_views.early_hints),
    path("h/hints-sync/", hardening_views.early_hints_sync),
    path("h/hints-bad/", hardening_views.early_hints_bad),
    path("h/server/", hardening_views.own_server_header),
]
