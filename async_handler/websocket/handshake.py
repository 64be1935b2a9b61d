"""Checks on a WebSocket handshake before the upgrade, each refusal a plain HTTP answer.

RFC 6455 4.2.1 for the request itself, and the Origin check that defends
against cross-site WebSocket hijacking: a browser sends the page's Origin on
every WebSocket handshake and lets any site open one, with the user's
cookies. An Origin whose host is not in ALLOWED_HOSTS, and that is not in
CSRF_TRUSTED_ORIGINS, gets 403, as Channels' AllowedHostsOriginValidator
gives. A handshake without Origin is not from a browser and passes.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.http.request import validate_host
from django.utils.http import is_same_domain

from .transport import UPGRADE_KEY

logger = logging.getLogger("async_handler.websocket")

NO_SERVER = ("This server cannot upgrade connections to WebSocket: it runs the project as "
             "plain WSGI, or is an ASGI server with WebSockets turned off. Serve it with "
             "gunicorn -k async_handler.worker.AiohttpWorker, manage.py runserver with "
             "async_handler in INSTALLED_APPS, or async_handler.get_asgi_application() on an "
             "ASGI server that serves WebSockets.\n")
NOT_WEBSOCKET = "This URL is a WebSocket endpoint: connect to it with a WebSocket client.\n"


def _refuse(request: Any, status: int, why: str, text: str | None = None,
            **headers: str) -> HttpResponse:
    logger.warning("WebSocket handshake refused with %s for %s from %s: %s", status,
                   request.path, request.META.get("REMOTE_ADDR", "-"), why)
    response = HttpResponse(text or f"{why}\n", status=status, content_type="text/plain")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django logs 4xx otherwise
    return response


def _tokens(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",")}


def _valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


def origin_allowed(origin: str) -> bool:
    """Whether a page from `origin` may open the project's sockets."""
    trusted = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    if origin in trusted:
        return True
    parts = urlsplit(origin)
    if not parts.scheme or not parts.hostname:  # "null": sandboxed frames, file:// pages
        return False
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:  # as HttpRequest.get_host() allows in DEBUG
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if validate_host(host, allowed):
        return True
    for pattern in trusted:
        if "*" in pattern:
            scheme, _, netloc = pattern.partition("://")
            if scheme == parts.scheme and is_same_domain(parts.netloc, netloc.replace("*", "", 1)):
                return True
    return False


def refusal(request: Any, check_origin: bool) -> HttpResponse | None:
    """The HTTP response refusing this handshake, logged; None when it may upgrade.

    The request itself is checked first, so a malformed handshake gets its
    own 4xx whatever the server. An HTTP/2 handshake (RFC 8441, an ASGI
    server's `websocket` scope; Upgrade.extended_connect) has none of
    HTTP/1.1's upgrade headers, and only the Origin is left to check.
    """
    meta = request.META
    upgrade = meta.get(UPGRADE_KEY)
    if not getattr(upgrade, "extended_connect", False):
        refused = _malformed(request, meta)
        if refused is not None:
            return refused
        if upgrade is None:
            return _refuse(request, 426, "the server cannot upgrade", NO_SERVER)
    origin = meta.get("HTTP_ORIGIN")
    if check_origin and origin is not None and not origin_allowed(origin):
        return _refuse(request, 403, f"cross-site Origin {origin!r} not in ALLOWED_HOSTS or "
                       "CSRF_TRUSTED_ORIGINS")
    return None


def _malformed(request: Any, meta: dict[str, Any]) -> HttpResponse | None:
    """The refusal of a request that is no valid handshake (RFC 6455 4.2.1), or None."""
    if "websocket" not in _tokens(meta.get("HTTP_UPGRADE", "")):
        return _refuse(request, 426, "not a WebSocket handshake (no Upgrade: websocket)",
                       NOT_WEBSOCKET, Upgrade="websocket", Connection="Upgrade")
    if request.method != "GET":
        return _refuse(request, 405, f"a WebSocket handshake must be GET, not {request.method}",
                       Allow="GET")
    if "upgrade" not in _tokens(meta.get("HTTP_CONNECTION", "")):
        return _refuse(request, 400, "no Connection: Upgrade")
    version = meta.get("HTTP_SEC_WEBSOCKET_VERSION", "")
    if version.strip() != "13":
        return _refuse(request, 426, f"unsupported Sec-WebSocket-Version {version!r}",
                       Sec_WebSocket_Version="13")
    key = meta.get("HTTP_SEC_WEBSOCKET_KEY")
    if key is None or not _valid_key(key.strip()):
        return _refuse(request, 400, f"missing or malformed Sec-WebSocket-Key {key!r}")
    return None
