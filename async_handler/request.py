"""Translate an aiohttp request into the WSGI environ Django's WSGIRequest expects.

The environ matches what gunicorn builds for its sync workers, so
request.META, request.scheme and request.get_host() behave as under WSGI.
The body is read by body.py.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from aiohttp import web

from .proxyproto import ProxyInfo

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
# The PROXY protocol header's ProxyInfo, when the connection began with one.
PROXY_KEY: Any = web.RequestKey("proxy", ProxyInfo) if hasattr(web, "RequestKey") else "proxy"


class BadRequest(Exception):
    """The request cannot be turned into an environ; answer 400."""


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
    # gunicorn's --header-map for names with underscores: "drop", "refuse" (400) or "dangerous".
    header_map: str = "drop"
    # Underscore headers a trusted peer may always set (gunicorn's --forwarder-headers);
    # a SCRIPT_NAME header then mounts the request under that prefix.
    forwarder_headers: frozenset[str] = frozenset({"SCRIPT_NAME", "PATH_INFO"})
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
    proxied = not isinstance(peer, tuple) or options.trust_forwarded(peer_addr)
    trusted = proxied and bool(options.secure_scheme_headers)
    forwarded = options.forwarder_headers if proxied else frozenset()
    script_name = options.script_name
    for raw_name, raw_value in areq.raw_headers:
        name = raw_name.decode("latin-1").upper()
        value = raw_value.decode("latin-1")
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
