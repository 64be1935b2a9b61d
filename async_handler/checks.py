"""System checks for async_handler, ids async_handler.E001 and up."""

from __future__ import annotations

from typing import Any

from django.core import checks

from . import conf


@checks.register(checks.Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for key in conf.unknown_keys():
        errors.append(checks.Error(
            f"Unknown ASYNC_HANDLER setting {key!r}.",
            hint=f"Known settings: {', '.join(sorted(conf.DEFAULTS))}.",
            id="async_handler.E001",
        ))
    threads = conf.get("THREADS")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        errors.append(checks.Error(
            "ASYNC_HANDLER['THREADS'] must be a positive integer or None.",
            id="async_handler.E002",
        ))
    return errors
