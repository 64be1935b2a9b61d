"""APIViews and @api_view functions for the DRF tests."""

from __future__ import annotations

import threading
from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from async_handler.drf import (
    APIView,
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from async_handler.drf._util import on_event_loop
from tests.drf_app.models import Note
from tests.drf_app.policies import (
    THREADS,
    AsyncAllow,
    AsyncHeaderAuthentication,
    AsyncHeaderPermission,
    AsyncHeaderThrottle,
    AsyncIsOwner,
    HeaderRateThrottle,
    RecordingMultiPartParser,
    RecordingPermission,
    RecordingTokenAuthentication,
    db_exception_handler,
)


class WhoAmI(APIView):
    """Session or token auth; the handler reads request.user without touching the DB."""

    authentication_classes = (TokenAuthentication, SessionAuthentication)
    permission_classes = (IsAuthenticated,)

    async def get(self, request: Any) -> Response:
        user = await request.auser()
        return Response({
            "user": request.user.username,
            "auser": user.username,
            "django_user": request._request.user.username,
            "auth": type(request.successful_authenticator).__name__,
        })

    async def post(self, request: Any) -> Response:
        return Response({"received": dict(request.data)})


class SessionOnly(WhoAmI):
    authentication_classes = (SessionAuthentication,)


class Mixed(APIView):
    """An async GET, a sync POST and an async PUT that fails, on one class."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    async def get(self, request: Any) -> Response:
        return Response({"handler": "async", "on_loop": on_event_loop()})

    def post(self, request: Any) -> Response:
        return Response({"handler": "sync", "on_loop": on_event_loop(), "data": request.data})

    async def put(self, request: Any) -> Response:
        raise ValueError("boom")


class Failing(APIView):
    """Errors raised inside the awaited handler, through a handler that queries the DB."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get_exception_handler(self) -> Any:
        return db_exception_handler

    async def get(self, request: Any) -> Response:
        raise exceptions.NotFound("gone")

    async def post(self, request: Any) -> Response:
        raise exceptions.ValidationError({"title": ["required"]})


_POLICY_NAMES = ("authentication", "permission", "throttle")


class Policies(APIView):
    """Sync token auth, permission and throttle: one hop for all three."""

    authentication_classes = (RecordingTokenAuthentication,)
    permission_classes = (RecordingPermission,)
    throttle_classes = (HeaderRateThrottle,)

    async def get(self, request: Any) -> Response:
        return Response({
            "user": request.user.username,
            "handler_thread": threading.get_ident(),
            "policy_threads": sorted({THREADS[name][-1] for name in _POLICY_NAMES}),
        })


class AsyncPolicies(APIView):
    """Async auth, permission and throttle: no hop at all."""

    authentication_classes = (AsyncHeaderAuthentication,)
    permission_classes = (AsyncAllow,)
    throttle_classes = (AsyncHeaderThrottle,)

    async def get(self, request: Any) -> Response:
        return Response({"user": request.user.username, "auth": request.auth})


class SyncWithAsyncPolicies(APIView):
    """Only sync handlers, so DRF's sync dispatch, yet async policy classes."""

    authentication_classes = (AsyncHeaderAuthentication,)
    permission_classes = (AsyncHeaderPermission,)
    throttle_classes = (AsyncHeaderThrottle,)

    def get(self, request: Any) -> Response:
        return Response({"user": request.user.username, "on_loop": on_event_loop()})


class Upload(APIView):
    """Multipart bodies are parsed off the loop by `await request.adata`."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (RecordingMultiPartParser, JSONParser)

    async def post(self, request: Any) -> Response:
        data = await request.adata
        return Response({
            "fields": {key: data[key] for key in data if key != "file"},
            "file": data["file"].read().decode() if "file" in data else None,
            "parsed_on_loop": THREADS.get("parser", [None])[-1] == threading.get_ident(),
        })


class Composed(APIView):
    """Mounted with different `permission_classes` per URL (see urls.py)."""

    authentication_classes = (AsyncHeaderAuthentication,)

    async def get(self, request: Any) -> Response:
        return Response({"ok": True})


class ManualObjectCheck(APIView):
    """DRF's documented pattern: fetch the object, then check object permissions."""

    authentication_classes = (AsyncHeaderAuthentication,)
    permission_classes = (AsyncIsOwner,)

    async def get(self, request: Any, pk: int) -> Response:
        note = await Note.objects.aget(pk=pk)
        await self.check_object_permissions(request, note)
        return Response({"title": note.title})


class ForgottenAwait(ManualObjectCheck):
    async def get(self, request: Any, pk: int) -> Response:
        note = await Note.objects.aget(pk=pk)
        self.check_object_permissions(request, note)  # missing await: must not pass silently
        return Response({"title": note.title})


@api_view(["GET", "POST"])
@authentication_classes([])
@permission_classes([AsyncHeaderPermission])
async def function_view(request: Any) -> Response:
    """An async function view with an async permission."""
    return Response({"method": request.method, "data": request.data, "on_loop": on_event_loop()})


@api_view()
@throttle_classes([AsyncHeaderThrottle])
async def function_throttled(request: Any) -> Response:
    return Response({"ok": True})


@api_view(["GET"])
def function_sync(request: Any) -> Response:
    return Response({"on_loop": on_event_loop()})
