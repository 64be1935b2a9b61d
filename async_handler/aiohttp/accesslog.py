"""gunicorn's logging for aiohttp: the access log, statsd's request metrics, the error log.

Each request goes to gunicorn's Logger.access as gthread sends it: through
the access log's format atoms, and through any logger class that does more
with it, such as gunicorn's own statsd instrumentation (`--statsd-host`).
async_handler's own log lines take gunicorn's error log format.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from gunicorn.glogging import Logger

from .environ import ENVIRON_KEY
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


def access_log_on(cfg: Any) -> bool:
    """Whether gunicorn writes an access log with this configuration."""
    return bool(cfg.accesslog or cfg.logconfig or getattr(cfg, "logconfig_dict", None)
                or getattr(cfg, "logconfig_json", None)
                or (cfg.syslog and not cfg.disable_redirect_access_to_syslog))


def access_options(glog: Any, cfg: Any) -> dict[str, Any]:
    """aiohttp server options that hand each request to gunicorn's `glog.access`.

    Only when it does something: an access log is written, or the logger class
    overrides access(), as gunicorn's Statsd does to count requests.
    """
    logging_on = access_log_on(cfg)
    if not logging_on and getattr(type(glog), "access", None) is Logger.access:
        return {}
    # count_body_bytes costs a callback per write: only %(b)s in the log needs it.
    return {"access_log_class": access_logger_class(glog), "access_log": glog.access_log,
            "count_body_bytes": logging_on}


def route_package_logs(glog: Any) -> None:
    """Send the async_handler logger's lines to gunicorn's error log, in its format.

    Only when nothing else would print them: Django's LOGGING may give the
    logger (or the root logger) handlers of its own, and those stay in charge.
    """
    ours, error_log = logging.getLogger("async_handler"), getattr(glog, "error_log", None)
    if error_log is None or ours.hasHandlers():
        return
    for handler in error_log.handlers:
        ours.addHandler(handler)
    if ours.level == logging.NOTSET:
        ours.setLevel(error_log.level)
