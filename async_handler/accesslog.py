"""gunicorn's access log for aiohttp: the same access_log_format atoms, the same logger."""

from __future__ import annotations

import datetime
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .request import ENVIRON_KEY
from .server import BODY_BYTES_KEY, BodyBytes


class _Req:
    __slots__ = ("headers",)

    def __init__(self, request: web.BaseRequest) -> None:
        self.headers = list(request.headers.items())


class GunicornResponse:
    """The parts of gunicorn's Response that its access log and post_request hooks read."""

    __slots__ = ("status", "status_code", "sent", "headers")

    def __init__(self, response: web.StreamResponse, counted: BodyBytes | None) -> None:
        self.status_code = response.status
        self.status = f"{response.status} {response.reason}"
        # gunicorn counts body bytes; aiohttp's body_length includes the head
        # and the chunked framing, so it is only the last resort.
        if counted is not None:
            self.sent = counted.sent
        elif response.content_length is not None:
            self.sent = response.content_length
        else:
            self.sent = response.body_length
        self.headers = list(response.headers.items())


def access_logger_class(glog: Any) -> type[AbstractAccessLogger]:
    """An aiohttp access logger class that writes through gunicorn's Logger `glog`."""

    class GunicornAccessLogger(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            environ = request.get(ENVIRON_KEY) or {
                "REQUEST_METHOD": request.method, "RAW_URI": request.raw_path,
                "SERVER_PROTOCOL": f"HTTP/{request.version.major}.{request.version.minor}",
                "REMOTE_ADDR": request.remote or "", "PATH_INFO": request.path,
                "QUERY_STRING": request.query_string,
            }
            resp = GunicornResponse(response, request.get(BODY_BYTES_KEY))
            glog.access(resp, _Req(request), environ, datetime.timedelta(seconds=time))

    return GunicornAccessLogger
