"""Translate an aiohttp request into the WSGI environ Django's WSGIRequest expects.

The environ matches what gunicorn builds for its sync workers, so
request.META, request.scheme and request.get_host() behave as under WSGI,
down to SERVER_SOFTWARE, wsgi.errors (gunicorn's error log),
wsgi.file_wrapper and wsgi.early_hints (103 responses). The body is read by
the core (core/body.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Any, Iterable
from urllib.parse import unquote_to_bytes

from aiohttp import web
from gunicorn import SERVER_SOFTWARE
from gunicorn.http.wsgi import FileWrapper

from ..core.exchange import BadRequest, RequestOptions
from .headerstrings import header_key, header_value
from .proxyproto import ProxyInfo


class ErrorStream:
    """wsgi.errors: writes go to gunicorn's error log streams, as under gunicorn.

    The streams are looked up at each write, so a log file reopened on USR1
    is written to; with no gunicorn logger set up (runserver), stderr.
    """

    def write(self, data: str) -> int:
        streams = []
        for handler in logging.getLogger("gunicorn.error").handlers:
            if isinstance(handler, logging.FileHandler) and handler.stream is None:
                # Django's logging setup closed it; its next record would reopen it.
                handler.acquire()
                try:
                    if handler.stream is None:
                        handler.stream = handler._open()
                finally:
                    handler.release()
            stream = getattr(handler, "stream", None)
            if stream is not None:
                streams.append(stream)
        for stream in streams or [sys.stderr]:
            stream.write(data)
            stream.flush()
        return len(data)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_OWS = " \t"
_FIELD_VALUE = re.compile(r"[ \t\x21-\x7e\x80-\xff]*")


class EarlyHints:
    """wsgi.early_hints: send a 103 Early Hints response ahead of the final one.

    As gunicorn's: ignored for HTTP/1.0 clients and once the response has
    started; names and values are checked so a view cannot split the response.
    Callable from the loop or from a view's thread.
    """

    __slots__ = ("_request", "_loop")

    def __init__(self, request: web.BaseRequest, loop: asyncio.AbstractEventLoop) -> None:
        self._request, self._loop = request, loop

    def __call__(self, headers: Iterable[tuple[str | bytes, str | bytes]]) -> None:
        lines = []
        for name, value in headers:
            name = name.decode("latin-1") if isinstance(name, bytes) else name
            value = value.decode("latin-1") if isinstance(value, bytes) else value
            if not _TOKEN.fullmatch(name) or not _FIELD_VALUE.fullmatch(value):
                raise ValueError(f"invalid early hint header {name!r}")
            lines.append(f"{name}: {value.strip(_OWS)}\r\n")
        data = ("HTTP/1.1 103 Early Hints\r\n" + "".join(lines) + "\r\n").encode("latin-1")
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._send(data)
        else:  # a sync view's thread; its response is sent after this runs
            self._loop.call_soon_threadsafe(self._send, data)

    def _send(self, data: bytes) -> None:
        request = self._request
        writer, transport = request.writer, request.transport
        started = (writer.output_size > 0 or getattr(writer, "_headers_buf", None) is not None
                   or getattr(writer, "_headers_written", False))
        if request.version >= (1, 1) and not started and transport is not None \
                and not transport.is_closing():
            transport.write(data)


ERRORS = ErrorStream()
_BASE_ENVIRON = {
    "wsgi.version": (1, 0),
    "wsgi.errors": ERRORS,
    "wsgi.multithread": True,
    "wsgi.run_once": False,
    "wsgi.file_wrapper": FileWrapper,
    "wsgi.input_terminated": True,
    "SERVER_SOFTWARE": SERVER_SOFTWARE,
}
# Where the environ is kept on the aiohttp request, for the access log.
ENVIRON_KEY: Any = web.RequestKey("environ", dict) if hasattr(web, "RequestKey") else "environ"
# The PROXY protocol header's ProxyInfo, when the connection began with one.
PROXY_KEY: Any = web.RequestKey("proxy", ProxyInfo) if hasattr(web, "RequestKey") else "proxy"


def _peer(areq: web.BaseRequest, key: str) -> Any:
    transport = areq.transport
    return transport.get_extra_info(key) if transport is not None else None


def build_environ(areq: web.BaseRequest, options: RequestOptions) -> dict[str, Any]:
    """Return the WSGI environ for `areq`, headers mapped as gunicorn maps them."""
    environ: dict[str, Any] = dict(_BASE_ENVIRON)
    environ["wsgi.multiprocess"] = options.multiprocess
    environ["wsgi.early_hints"] = EarlyHints(areq, asyncio.get_running_loop())
    raw = areq.raw_path.encode("utf-8", "surrogateescape")
    if not raw.startswith(b"/") and b"://" in raw[:16]:
        # absolute-form target (RFC 9112 3.2.2): keep only path and query
        raw = raw.split(b"://", 1)[1]
        slash = raw.find(b"/")
        raw = raw[slash:] if slash >= 0 else b"/"
    path, _, query = raw.partition(b"?")
    path, _, _fragment = path.partition(b"#")
    environ["REQUEST_METHOD"] = areq.method
    environ["RAW_URI"] = areq.raw_path
    environ["QUERY_STRING"] = query.decode("latin-1")
    version = areq.version
    environ["SERVER_PROTOCOL"] = f"HTTP/{version.major}.{version.minor}"

    host = None
    repeated: dict[str, list[str]] = {}
    scheme = "https" if options.is_ssl else "http"
    scheme_seen: str | None = None
    peer = _peer(areq, "peername")
    peer_addr = peer[0] if isinstance(peer, tuple) else ""
    # A unix-socket peer is the local proxy, trusted as gunicorn trusts it.
    proxied = not isinstance(peer, tuple) or options.trust_forwarded(peer_addr)
    trusted = proxied and bool(options.secure_scheme_headers)
    forwarded = options.forwarder_headers if proxied else frozenset()
    script_name = options.script_name
    for raw_name, raw_value in areq.raw_headers:
        name, key = header_key(raw_name)
        value = header_value(name, raw_value)
        if "_" in name and not (name in forwarded or "*" in forwarded):
            # An underscore header would collide with a dash one in META
            # (X_Forwarded_For vs X-Forwarded-For); by default gunicorn drops them too.
            if options.header_map == "drop":
                continue
            if options.header_map != "dangerous":
                raise BadRequest(f"Header name with an underscore: {name}")
        if name == "SCRIPT_NAME":
            script_name = value
        if name == "CONTENT-TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "CONTENT-LENGTH":
            environ["CONTENT_LENGTH"] = value
            continue
        if name == "HOST":
            host = value
        if trusted and name in options.secure_scheme_headers:
            this = "https" if value == options.secure_scheme_headers[name] else "http"
            if scheme_seen is not None and this != scheme_seen:
                raise BadRequest("Contradictory scheme headers")
            scheme_seen = scheme = this
        if key in environ:
            repeated.setdefault(key, [environ[key]]).append(value)
        else:
            environ[key] = value
    for key, values in repeated.items():
        # Cookie headers join with "; " so Django's cookie parser splits them
        # (RFC 6265 5.4); others with "," as RFC 9110 5.3 combines fields.
        environ[key] = ("; " if key == "HTTP_COOKIE" else ",").join(values)
    environ["wsgi.url_scheme"] = scheme

    if isinstance(peer, tuple):
        environ["REMOTE_ADDR"] = str(peer[0])
        environ["REMOTE_PORT"] = str(peer[1])
    else:
        environ["REMOTE_ADDR"] = ""
    header: ProxyInfo | None = areq.get(PROXY_KEY)
    if header is not None:
        # As gunicorn's proxy_environ; a LOCAL or UNSPEC header keeps the socket's peer.
        environ["PROXY_PROTOCOL"] = header.protocol
        if header.client_addr is not None:
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = (
                header.client_addr, str(header.client_port))
            environ["PROXY_ADDR"], environ["PROXY_PORT"] = (
                header.proxy_addr, str(header.proxy_port))
    sock = _peer(areq, "sockname")
    if isinstance(sock, tuple):
        environ["SERVER_NAME"], environ["SERVER_PORT"] = str(sock[0]), str(sock[1])
    else:  # unix socket: the Host header is all there is, as gunicorn does
        name, colon, port = (host or "").rpartition(":")
        if not colon:
            name, port = host or "", ""
        environ["SERVER_NAME"] = name
        environ["SERVER_PORT"] = port or ("443" if scheme == "https" else "80")

    path_info = unquote_to_bytes(path).decode("latin-1")
    if script_name:
        if not path_info.startswith(script_name):
            raise BadRequest(f"Request path does not start with SCRIPT_NAME {script_name!r}")
        path_info = path_info[len(script_name):]
    environ["SCRIPT_NAME"] = script_name
    environ["PATH_INFO"] = path_info
    return environ
