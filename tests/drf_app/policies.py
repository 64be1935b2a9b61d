"""Authentication, permission and throttle classes (sync and async) for the DRF tests.

The sync ones record the thread they ran on in THREADS, so tests can tell whether
they shared one hop and stayed off the event loop's thread.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.filters import BaseFilterBackend
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle
from rest_framework.views import exception_handler

# name -> thread idents, appended by the sync classes below.
THREADS: dict[str, list[int]] = {}


def record(name: str) -> None:
    THREADS.setdefault(name, []).append(threading.get_ident())


class AsyncHeaderAuthentication(BaseAuthentication):
    """`X-Async-User: <username>` logs that user in, looked up with the async ORM."""

    async def authenticate(self, request: Any) -> Any:
        username = request.headers.get("X-Async-User")
        if not username:
            return None
        try:
            user = await get_user_model().objects.aget(username=username)
        except get_user_model().DoesNotExist:
            raise exceptions.AuthenticationFailed("no such user") from None
        return (user, "async-header")

    def authenticate_header(self, request: Any) -> str:
        return "AsyncUser"


class RecordingTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Any) -> Any:
        record("authentication")
        return super().authenticate(request)


class AsyncAllow(BasePermission):
    async def has_permission(self, request: Any, view: Any) -> bool:
        return True


class AsyncDeny(BasePermission):
    message = "async says no"
    code = "async_no"

    async def has_permission(self, request: Any, view: Any) -> bool:
        return False


class AsyncHeaderPermission(BasePermission):
    """Allows requests carrying `X-Allow: yes`."""

    message = "missing X-Allow"

    async def has_permission(self, request: Any, view: Any) -> bool:
        return request.headers.get("X-Allow") == "yes"


class AsyncIsOwner(BasePermission):
    message = "not your note"

    async def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        user = await request.auser()
        return obj.owner_id is not None and obj.owner_id == user.pk


class RecordingPermission(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        record("permission")
        return bool(request.user and request.user.is_authenticated)


class SyncDenyObject(BasePermission):
    message = "sync object check says no"

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        record("object_permission")
        return False


class HeaderRateThrottle(SimpleRateThrottle):
    """Two requests a minute per `X-Throttle-Key`; no header, no throttling."""

    rate = "2/min"
    scope = "header"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        key = request.headers.get("X-Throttle-Key")
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key}

    def allow_request(self, request: Any, view: Any) -> bool:
        record("throttle")
        return super().allow_request(request, view)


class AsyncHeaderThrottle(BaseThrottle):
    """Throttles requests carrying `X-Async-Throttle`, asking them to wait 7 s."""

    async def allow_request(self, request: Any, view: Any) -> bool:
        return "X-Async-Throttle" not in request.headers

    def wait(self) -> float:
        return 7.0


class RecordingMultiPartParser(MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        record("parser")
        return super().parse(stream, media_type, parser_context)


class AsyncTitlePrefixFilter(BaseFilterBackend):
    """An async filter backend: `?prefix=x` keeps titles starting with x."""

    async def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        prefix = request.query_params.get("prefix")
        return queryset.filter(title__startswith=prefix) if prefix else queryset


def db_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's handler, plus a database query, as project handlers often add (e.g. logging)."""
    response = exception_handler(exc, context)
    if response is not None:
        record("exception_handler")
        response.data = {**response.data, "users": get_user_model().objects.count()}
    return response
