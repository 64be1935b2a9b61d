"""The aiohttp front end: one aiohttp request described to the core, and its answer.

The environ is built as gunicorn builds it (environ.py), the body is the
aiohttp stream's chunks (body.py) and the response goes out through an
AiohttpSink (response.py); CoreHandler.serve() does the rest.
"""

from __future__ import annotations

import logging
from typing import IO, TYPE_CHECKING, Any

from aiohttp import web
from django.core.handlers.wsgi import get_path_info

from ..core.exchange import BadRequest, Exchange
from ..websocket.aiohttp_socket import AiohttpUpgrade
from ..websocket.transport import UPGRADE_KEY
from .body import body_chunks
from .environ import ENVIRON_KEY, build_environ
from .response import AiohttpSink

if TYPE_CHECKING:
    from ..core.handler import CoreHandler

logger = logging.getLogger("async_handler")


class _Request:
    """Builds Django's request for an Exchange, and names its route: one slotted object
    rather than two closures and their cells, which an open WebSocket would hold."""

    __slots__ = ("app", "environ", "method", "set_length")

    def __init__(self, app: CoreHandler, environ: dict[str, Any], method: str,
                 set_length: bool) -> None:
        self.app, self.environ, self.method = app, environ, method
        self.set_length = set_length

    def make(self, stream: IO[bytes], size: int) -> Any:
        environ = self.environ
        environ["wsgi.input"] = stream
        # Chunked bodies have no Content-Length; Django reads CONTENT_LENGTH
        # bytes, so the length read is what it must see.
        if self.set_length:
            environ["CONTENT_LENGTH"] = str(size)
        return self.app.request_class(environ)

    def route(self) -> tuple[str, str]:
        return get_path_info(self.environ) or "/", self.method


async def handle(app: CoreHandler, areq: web.BaseRequest) -> web.StreamResponse:
    """Serve one aiohttp request through Django and return the response sent."""
    try:
        environ = build_environ(areq, app.options)
    except BadRequest as exc:
        logger.warning("Bad request from %s: %s", areq.remote, exc)
        return web.Response(status=400, text=f"Bad Request: {exc}\n")
    areq[ENVIRON_KEY] = environ
    chunks = body_chunks(areq, app.options.body_timeout)
    request = _Request(app, environ, areq.method,
                       chunks is not None or environ.get("CONTENT_LENGTH") is not None)
    sink: Any = AiohttpSink(areq)
    if "Upgrade" in areq.headers:  # a WebSocket view may take the connection over
        upgrade = environ[UPGRADE_KEY] = AiohttpUpgrade(areq)
        sink = upgrade.sink(sink)
    await app.serve(Exchange(environ, chunks, request.make, sink, remote=areq.remote or "",
                             started_kwargs={"environ": environ}, route=request.route))
    assert sink.response is not None
    return sink.response
