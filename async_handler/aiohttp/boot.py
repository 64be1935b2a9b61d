"""What the gunicorn worker checks as it boots, before it serves a request.

The HTTP parser aiohttp runs, the application gunicorn loaded, and
async_handler's system checks, which manage.py check cannot run for a
server. An error-level check stops the boot, as runserver stops on one.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from gunicorn.arbiter import Arbiter


def refuse(log: Any) -> None:
    """Exit with gunicorn's boot error code, on which the arbiter stops instead of respawning."""
    log.error("Worker refusing to start; fix the errors above.")
    sys.exit(Arbiter.WORKER_BOOT_ERROR)


def check_parser(log: Any) -> None:
    """Warn loudly when aiohttp runs its pure-Python HTTP parser instead of llhttp.

    That parser has had request smuggling bugs llhttp did not share
    (CVE-2024-52304: LF in chunk extensions; CVE-2025-53643: trailers); it runs under
    AIOHTTP_NO_EXTENSIONS=1 or without a binary wheel for this platform.
    """
    from aiohttp import http_parser

    if getattr(http_parser, "HttpRequestParserC", None) is http_parser.HttpRequestParser:
        return
    why = ("AIOHTTP_NO_EXTENSIONS is set" if os.environ.get("AIOHTTP_NO_EXTENSIONS")
           else "its C extension is not installed")
    log.warning(
        "SECURITY: aiohttp is parsing HTTP with its pure-Python parser because %s. "
        "It is slower and has had request smuggling vulnerabilities the C parser "
        "(llhttp) did not; install aiohttp's binary wheel and unset "
        "AIOHTTP_NO_EXTENSIONS.", why)


def served_application(app: Any, log: Any, name: str | None) -> Any:
    """The AsyncDjangoApplication to serve for `app`; a wrapped application stops the boot."""
    from django.core.handlers.wsgi import WSGIHandler

    from ..application import AsyncDjangoApplication

    if isinstance(app, AsyncDjangoApplication):
        return app
    if not isinstance(app, WSGIHandler):
        log.error(
            "AiohttpWorker serves Django projects only: the application must be "
            "async_handler.get_async_application() itself, not wrapped, got %r. "
            "WSGI wrappers such as WhiteNoise(application) have middleware forms "
            "to use instead.", app)
        refuse(log)
    log.warning(
        "%s is Django's plain WSGIHandler; serving it with AsyncDjangoApplication. "
        "Use async_handler.get_async_application() in your wsgi.py.", name or "the application")
    return AsyncDjangoApplication()


def run_checks(log: Any, threads: int | None, workers: int) -> None:
    """Log what async_handler's system checks find; stop the boot on an error, as runserver does."""
    from ..checks import run_worker_checks

    messages = [m for m in run_worker_checks(threads=threads, workers=workers)
                if not m.is_silenced()]
    for message in messages:
        (log.error if message.is_serious() else log.warning)("%s", message)
    if any(m.is_serious() for m in messages):
        refuse(log)
