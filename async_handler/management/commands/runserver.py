"""`manage.py runserver` on async_handler's aiohttp stack, with Django's reloader and flags."""

from __future__ import annotations

import asyncio
import errno
import os
import sys
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import autoreload

if "django.contrib.staticfiles" in settings.INSTALLED_APPS:
    from django.contrib.staticfiles.management.commands.runserver import (
        Command as BaseCommand,
    )
else:  # pragma: no cover - staticfiles absent
    from django.core.management.commands.runserver import Command as BaseCommand  # type: ignore

from ...devserver import StaticFilesApplication, serve, static_enabled
from ...handler import AsyncDjangoApplication

_ERRORS = {
    errno.EACCES: "You don't have permission to access that port.",
    errno.EADDRINUSE: "That port is already in use.",
    errno.EADDRNOTAVAIL: "That IP address can't be assigned to.",
}


class Command(BaseCommand):
    help = ("Starts a development web server on async_handler's aiohttp stack, "
            "where async views run concurrently on one event loop.")

    def get_handler(self, *args: Any, **options: Any) -> AsyncDjangoApplication:
        if static_enabled(options.get("use_static_handler", False),
                          options.get("insecure_serving", False)):
            return StaticFilesApplication()
        return AsyncDjangoApplication()

    def inner_run(self, *args: Any, **options: Any) -> None:
        autoreload.raise_last_exception()
        if not options["use_threading"]:
            self.stdout.write("Note: --nothreading has no effect here: requests share one "
                              "event loop and sync views run in its thread pool.\n")
        if not options["skip_checks"]:
            self.stdout.write("Performing system checks...\n\n")
            check_kwargs: dict[str, Any] = {**super().get_check_kwargs(options)}  # type: ignore[dict-item]
            check_kwargs["display_num_errors"] = True
            self.check(**check_kwargs)
        self.check_migrations()
        for conn in connections.all(initialized_only=True):
            conn.close()
        app = self.get_handler(*args, **options)
        try:
            # addr, port and use_ipv6 are set by Django's runserver handle().
            asyncio.run(serve(app, self.addr, int(self.port),  # type: ignore[attr-defined]
                              ipv6=self.use_ipv6, on_bind=self.on_bind))  # type: ignore[attr-defined]
        except OSError as exc:
            self.stderr.write(f"Error: {_ERRORS.get(exc.errno or 0, exc)}")
            os._exit(1)
        except KeyboardInterrupt:
            shutdown_message = options.get("shutdown_message", "")
            if shutdown_message:
                self.stdout.write(shutdown_message)
            sys.exit(0)
