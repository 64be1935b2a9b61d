"""The development server behind `manage.py runserver`: the same aiohttp stack as the worker.

Static files are served in DEBUG as staticfiles' runserver serves them, and
requests are logged to the `django.server` logger in runserver's format.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import socket
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandlerMixin
from django.core.handlers.exception import response_for_exception
from django.http import Http404

from ..application import AsyncDjangoApplication
from .server import DjangoServer

server_logger = logging.getLogger("django.server")


class _StaticFiles(StaticFilesHandlerMixin):
    """Django's own rules for which paths are static and where their files are."""

    def __init__(self) -> None:
        self.base_url = urlparse(self.get_base_url())


class StaticFilesApplication(AsyncDjangoApplication):
    """Serves STATIC_URL from the staticfiles finders, everything else through Django."""

    def __init__(self) -> None:
        super().__init__()
        self.static = _StaticFiles()

    async def get_response_async(self, request: Any) -> Any:
        if not self.static._should_handle(request.path):
            return await super().get_response_async(request)
        try:
            # Django's static view reads files; off the loop like any sync code.
            return await self.run_sync(self.static.serve, request)
        except Http404 as exc:
            return await self.run_sync(response_for_exception, request, exc)


class DevAccessLogger(AbstractAccessLogger):
    """One line per request to django.server, as runserver's WSGIRequestHandler writes it."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        version = f"HTTP/{request.version.major}.{request.version.minor}"
        extra = {"request": None, "status_code": response.status,
                 "server_time": datetime.datetime.now().strftime("%d/%b/%Y %H:%M:%S")}
        level = server_logger.error if response.status >= 500 else (
            server_logger.warning if response.status >= 400 else server_logger.info)
        level('"%s %s %s" %s %s', request.method, request.raw_path, version, response.status,
              response.content_length or "-", extra=extra)


async def serve(app: AsyncDjangoApplication, addr: str, port: int, *, ipv6: bool,
                on_bind: Any) -> None:
    """Serve `app` on addr:port until cancelled."""
    await app.startup()
    server = DjangoServer(app, handler_cancellation=True, access_log_class=DevAccessLogger,
                          access_log=server_logger)
    family = socket.AF_INET6 if ipv6 else socket.AF_INET
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(server, addr, port, family=family, reuse_address=True)
    on_bind(listener.sockets[0].getsockname()[1])
    try:
        await asyncio.Event().wait()
    finally:
        listener.close()
        server.pre_shutdown()
        await server.shutdown(1.0)
        await app.shutdown()


def static_enabled(use_static: bool, insecure: bool) -> bool:
    return use_static and (settings.DEBUG or insecure) and (
        "django.contrib.staticfiles" in settings.INSTALLED_APPS)
