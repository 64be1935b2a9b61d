"""aiohttp's low-level server, with gunicorn's answers to malformed requests.

aiohttp answers every parse error with 400. gunicorn's limits promise 414
for a long request line and 431 for too many or too large header fields,
logged as a one-line warning rather than a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler

logger = logging.getLogger("async_handler.server")


class _ProtocolHandler(RequestHandler):
    line_limit: int = 8190

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status == 500 or not isinstance(exc, BadHttpMessage):
            return super().handle_error(request, status, exc, message)
        reason = "Bad Request"
        if isinstance(exc, LineTooLong):
            if str(exc.args[1]) == str(self.line_limit):
                status, reason = 414, "URI Too Long"
            else:
                status, reason = 431, "Request Header Fields Too Large"
        elif "Too many headers" in str(exc):
            status, reason = 431, "Request Header Fields Too Large"
        logger.warning("Invalid request from ip=%s: %s", request.remote, exc)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot send an error")
        response = web.Response(status=status, reason=reason, text=f"{status} {reason}\n")
        response.force_close()
        return response


class DjangoServer(web.Server):
    """web.Server whose connections answer parse errors with gunicorn's status codes."""

    def __init__(self, handler: Any, *, max_line_size: int = 8190, **kwargs: Any) -> None:
        super().__init__(handler, max_line_size=max_line_size, **kwargs)
        self._protocol = type("ProtocolHandler", (_ProtocolHandler,), {"line_limit": max_line_size})

    def __call__(self) -> RequestHandler:
        return self._protocol(self, loop=self._loop, **self._kwargs)
