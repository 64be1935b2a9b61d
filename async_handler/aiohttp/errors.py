"""gunicorn's error pages and refusals, for requests the connection (protocol.py) refuses.

gunicorn's pages say `HTTP/1.1` whatever the request said, carry three
headers and a short HTML body, and are logged as a one-line warning.
"""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage
from multidict import CIMultiDict

from .linescan import Refusal


def one_line(exc: BaseException) -> str:
    """An aiohttp or llhttp parse error on one line, for the log and the error page."""
    # llhttp's messages carry the offending bytes and a caret on lines of their own;
    # str() of aiohttp's errors would prefix them with "400, message:".
    return " ".join(str(getattr(exc, "message", None) or exc).split())


def error_page(reason: str, message: str) -> bytes:
    """The HTML body of gunicorn's error pages, `message` escaped."""
    return (f"<html>\n  <head>\n    <title>{reason}</title>\n  </head>\n  <body>\n"
            f"    <h1><p>{reason}</p></h1>\n    {html.escape(message)}\n  </body>\n"
            "</html>\n").encode("latin-1", "replace")


class ErrorPage(web.Response):
    """An error response as gunicorn's sync worker writes one, byte for byte.

    The status line says HTTP/1.1 whatever the request's version (aiohttp
    would echo it, even `HTTP/2.0`), the head has exactly gunicorn's three
    headers, and the body is sent for HEAD too; the connection then closes.
    """

    def __init__(self, status: int, reason: str, message: str) -> None:
        self._page = error_page(reason, message)
        super().__init__(status=status, reason=reason, body=self._page)
        self.force_close()

    async def _start(self, request: web.BaseRequest) -> Any:
        self._must_be_empty_body = False  # gunicorn sends the page whatever the method
        return await super()._start(request)

    async def _write_headers(self) -> None:
        writer = self._payload_writer
        assert writer is not None
        head = CIMultiDict([("Connection", "close"), ("Content-Type", "text/html"),
                            ("Content-Length", str(len(self._page)))])
        await writer.write_headers(f"HTTP/1.1 {self.status} {self.reason}", head)


class Refused(BadHttpMessage):
    """A request refused by linescan.py, with gunicorn's status, reason and wording."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def reject(request: web.BaseRequest, status: int, reason: str, why: str,
           page: str | None = None) -> web.Response:
    """A one-line warning, as gunicorn logs one, and gunicorn's error page (saying
    `page`, else `why`), closing."""
    request.protocol.logger.warning("Invalid request from ip=%s: %s", request.remote, why)
    return ErrorPage(status, reason, why if page is None else page)
