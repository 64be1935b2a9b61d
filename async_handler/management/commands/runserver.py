"""`manage.py runserver` on async_handler's aiohttp stack, with Django's reloader and flags."""

from __future__ import annotations

import asyncio
import errno
import os
import sys
from datetime import datetime
from typing import Any

import aiohttp
from django.conf import settings
from django.db import connections
from django.utils import autoreload

if "django.contrib.staticfiles" in settings.INSTALLED_APPS:
    from django.contrib.staticfiles.management.commands.runserver import (
        Command as BaseCommand,
    )
else:  # pragma: no cover - staticfiles absent
    from django.core.management.commands.runserver import Command as BaseCommand  # type: ignore

from ... import __version__
from ...aiohttp.devserver import StaticFilesApplication, serve, static_enabled
from ...application import AsyncDjangoApplication

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

    def on_bind(self, server_port: int) -> None:
        """Django's banner, saying which server serves and what to run in production."""
        quit_command = "CTRL-BREAK" if sys.platform == "win32" else "CONTROL-C"
        # addr, _raw_ipv6 and protocol are set by Django's runserver handle().
        addr = self.addr  # type: ignore[attr-defined]
        if self._raw_ipv6:  # type: ignore[attr-defined]
            addr = f"[{addr}]"
        elif addr == "0":
            addr = "0.0.0.0"
        self.stdout.write(
            f"{datetime.now().strftime('%B %d, %Y - %X')}\n"
            f"Django version {self.get_version()}, using settings {settings.SETTINGS_MODULE!r}\n"
            f"Starting development server at {self.protocol}://{addr}:{server_port}/\n"
            f"Served by async_handler {__version__} on aiohttp {aiohttp.__version__}: async "
            "views run concurrently on one event loop, sync views in its thread pool.\n"
            f"Quit the server with {quit_command}."
        )
        if os.environ.get("DJANGO_RUNSERVER_HIDE_WARNING") != "true":
            self.stdout.write(self.style.WARNING(
                "WARNING: This is a development server. Do not use it in a production "
                "setting.\nIn production, run gunicorn with "
                "-k async_handler.worker.AiohttpWorker (see async_handler's README)."))

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
