"""The bench project's app config: connects the PostgreSQL section's request_started receiver
when the settings ask for it (`BENCH_REQUEST_STARTED_RECEIVER`, see `pg_settings.py`)."""

from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class BenchProjectConfig(AppConfig):
    name = "bench_project"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        if getattr(settings, "BENCH_REQUEST_STARTED_RECEIVER", False):
            from django.core.signals import request_started

            from .pg_views import count_request_started

            request_started.connect(count_request_started, dispatch_uid="bench_project.pg")
