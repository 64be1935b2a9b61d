"""Django app config: registers async_handler's system checks."""

from __future__ import annotations

from django.apps import AppConfig


class AsyncHandlerConfig(AppConfig):
    name = "async_handler"
    verbose_name = "async_handler"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
