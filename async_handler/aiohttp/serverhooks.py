"""gunicorn's pre_request and post_request server hooks, called by the aiohttp worker.

gunicorn hands these hooks its own Request and Response objects, which this
worker never builds; the hooks get stand-ins with the attributes hooks read
(method, path, query, headers as upper-cased pairs, status, bytes sent). They
run on the event loop, so they should be quick, as logging and metrics hooks
are. With gunicorn's defaults in place nothing is wrapped and nothing is paid.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from aiohttp import web
from gunicorn.config import PostRequest, PreRequest

from .accesslog import GunicornResponse
from .environ import ENVIRON_KEY
from .server import BODY_BYTES_KEY

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class HookRequest:
    """The parts of gunicorn.http.message.Request that server hooks read."""

    def __init__(self, areq: web.BaseRequest, is_ssl: bool) -> None:
        raw = areq.raw_path
        path, _, query = raw.partition("?")
        self.method = areq.method
        self.uri = raw
        self.path = path
        self.query = query
        self.fragment = ""
        self.version = (areq.version.major, areq.version.minor)
        self.scheme = "https" if is_ssl else "http"
        self.headers = [(k.decode("latin-1").upper(), v.decode("latin-1"))
                        for k, v in areq.raw_headers]
        peer = areq.transport.get_extra_info("peername") if areq.transport else None
        self.peer_addr = self.remote_addr = peer


def hooks_in_use(cfg: Any, log: Any) -> bool:
    """Whether a hook differs from gunicorn's default (or the default one would log)."""
    if cfg.post_request is not PostRequest.default or cfg.pre_request is not PreRequest.default:
        return True
    error_log = getattr(log, "error_log", None)
    return bool(error_log is not None and error_log.isEnabledFor(logging.DEBUG))


def with_hooks(worker: Any, handler: Handler) -> Handler:
    """`handler` with pre_request before it and post_request once the response is sent."""
    cfg = worker.cfg

    async def hooked(areq: web.BaseRequest) -> web.StreamResponse:
        req = HookRequest(areq, bool(cfg.is_ssl))
        cfg.pre_request(worker, req)
        resp: web.StreamResponse | None = None
        try:
            resp = await handler(areq)
            # Send it now, so that post_request sees it sent, as under gunicorn;
            # aiohttp's own prepare/write_eof after us are then no-ops.
            await resp.prepare(areq)
            await resp.write_eof()
            return resp
        finally:
            try:
                cfg.post_request(worker, req, areq.get(ENVIRON_KEY, {}),
                                 GunicornResponse(resp, areq.get(BODY_BYTES_KEY))
                                 if resp is not None else None)
            except Exception:
                worker.log.exception("Exception in post_request hook")

    return hooked
