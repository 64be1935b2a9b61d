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
]
