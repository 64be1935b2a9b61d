"""Translate an aiohttp request into the WSGI environ Django's WSGIRequest expects.

The environ matches what gunicorn builds for its sync workers, so
request.META, request.scheme and request.get_host() behave as under WSGI.
The body is read on the loop before Django sees the request, so sync code
never blocks on the network; Django's own limits apply while it streams in.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any, Callable
from urllib.parse import unquote_to_bytes

from aiohttp import web

_BASE_ENVIRON = {
    "wsgi.version": (1, 0),
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": True,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
    "wsgi.input_terminated": True,
    "SERVER_SOFTWARE": "async_handler",
}
# Where the environ is kept on the aiohttp request, for the access log.
ENVIRON_KEY: Any = web.RequestKey("environ", dict) if hasattr(web, "RequestKey") else "environ"


class BadRequest(Exception):
    """The request cannot be turned into an environ; answer 400."""


class BodyTooLarge(Exception):
    """The body passed a limit while streaming in."""

    def __init__(self, limit: int, django_limit: bool) -> None:
        super().__init__(f"request body exceeded {limit} bytes")
        self.limit = limit
        self.django_limit = django_limit


class BodyTimeout(Exception):
    """No body bytes arrived for `timeout` seconds; answer 408."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no request body bytes for {timeout} s")
        self.timeout = timeout


class _IdleWatch:
    """Fails a body read that sees no bytes for `timeout` seconds.

    One timer per body, re-armed lazily: each chunk only records the time.
    As nginx's client_body_timeout, it is the gap between reads that counts, so
    a slow but steady upload is not cut off.
    """

    __slots__ = ("loop", "content", "timeout", "last", "handle")

    def __init__(self, content: Any, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.content = content
        self.timeout = timeout
        self.last = self.loop.time()
        self.handle: asyncio.TimerHandle | None = self.loop.call_later(timeout, self._check)

    def _check(self) -> None:
        left = self.last + self.timeout - self.loop.time()
        if left > 0:
            self.handle = self.loop.call_later(left, self._check)
            return
        self.handle = None
        self.content.set_exception(BodyTimeout(self.timeout))

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


@dataclass
class RequestOptions:
    """What the server knows that the request does not carry."""

    script_name: str = ""
    is_ssl: bool = False
    # Whether a peer address may set X-Forwarded-* style scheme headers.
    trust_forwarded: Callable[[str], bool] = lambda addr: addr in ("127.0.0.1", "::1")
    # Upper-cased header name -> value meaning https, as gunicorn's setting.
    secure_scheme_headers: dict[str, str] = field(default_factory=lambda: {
        "X-FORWARDED-PROTOCOL": "ssl", "X-FORWARDED-PROTO": "https", "X-FORWARDED-SSL": "on",
    })
    max_body_size: int | None = None
    # Seconds the body may go without a byte before the request gets 408; None: no limit.
    body_timeout: float | None = None


def _peer(areq: web.BaseRequest, key: str) -> Any:
    transport = areq.transport
    return transport.get_extra_info(key) if transport is not None else None


def build_environ(areq: web.BaseRequest, options: RequestOptions) -> dict[str, Any]:
    """Return the WSGI environ for `areq`, headers mapped as gunicorn maps them."""
    environ: dict[str, Any] = dict(_BASE_ENVIRON)
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
    trusted = bool(options.secure_scheme_headers) and (
        not isinstance(peer, tuple) or options.trust_forwarded(peer_addr))
    for raw_name, raw_value in areq.raw_headers:
        name = raw_name.decode("latin-1").upper()
        value = raw_value.decode("latin-1")
        if "_" in name:
            # An underscore header would collide with a dash one in META
            # (X_Forwarded_For vs X-Forwarded-For); gunicorn drops them too.
            continue
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
        key = "HTTP_" + name.replace("-", "_")
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
    script_name = options.script_name
    if script_name:
        if not path_info.startswith(script_name):
            raise BadRequest(f"Request path does not start with SCRIPT_NAME {script_name!r}")
        path_info = path_info[len(script_name):]
    environ["SCRIPT_NAME"] = script_name
    environ["PATH_INFO"] = path_info
    return environ


def body_limit(environ: dict[str, Any], options: RequestOptions,
               data_upload_max: int | None) -> tuple[int | None, bool]:
    """The byte limit for this body and whether it is Django's (400) or the server's (413).

    Multipart bodies carry files, which DATA_UPLOAD_MAX_MEMORY_SIZE excludes,
    so they answer only to the server's cap.
    """
    server = options.max_body_size
    if data_upload_max is None or environ.get("CONTENT_TYPE", "").startswith("multipart/"):
        return server, False
    if server is None or data_upload_max < server:
        return data_upload_max, True
    return server, False


async def read_body(areq: web.BaseRequest, environ: dict[str, Any], options: RequestOptions,
                    *, data_upload_max: int | None, spool_max: int) -> IO[bytes]:
    """Read the whole body into memory or, past `spool_max`, a temporary file.

    Raises BodyTooLarge as soon as a limit is passed, before reading on, and
    aiohttp's connection errors if the client goes away mid-body.
    """
    limit, django_limit = body_limit(environ, options, data_upload_max)
    # Until the body is read whole, Django sees none.
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(), "0"
    declared = areq.headers.get("Content-Length")
    if declared and limit is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, django_limit)
    if not areq.body_exists:
        stream: IO[bytes] = environ["wsgi.input"]
        if declared is None:
            environ.pop("CONTENT_LENGTH")
        return stream
    if areq.version >= (1, 1) and areq.headers.get("Expect", "").lower() == "100-continue":
        # The interim response goes straight to the transport: it is not the
        # response, and aiohttp's writer would count it as one.
        transport = areq.transport
        if transport is not None:
            transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    content = areq.content
    buffer = bytearray()
    spooled: IO[bytes] | None = None
    size = 0
    watch = _IdleWatch(content, options.body_timeout) if options.body_timeout else None
    try:
        while True:
            chunk = await content.readany()
            if not chunk:
                break
            if watch is not None:
                watch.last = watch.loop.time()
            size += len(chunk)
            if limit is not None and size > limit:
                raise BodyTooLarge(limit, django_limit)
            if spooled is not None:
                spooled.write(chunk)
            elif len(buffer) + len(chunk) > spool_max:
                spooled = tempfile.TemporaryFile(suffix=".async_handler")
                spooled.write(buffer)
                spooled.write(chunk)
                buffer = bytearray()
            else:
                buffer += chunk
    except BaseException:
        if spooled is not None:
            spooled.close()
        raise
    finally:
        if watch is not None:
            watch.cancel()
    if spooled is not None:
        spooled.seek(0)
        stream = spooled
    else:
        stream = io.BytesIO(buffer)
    # Chunked bodies have no Content-Length; Django reads CONTENT_LENGTH
    # bytes, so the length read is what it must see.
    environ["CONTENT_LENGTH"] = str(size)
    environ["wsgi.input"] = stream
    return stream
