"""The demo API's views: an async ModelViewSet for notes and an async ``@api_view``.

Both run on the worker's event loop. async_handler.drf resolves authentication (token or
session, with DRF's CSRF check for the session) before the handler runs, uses Django's async
ORM for lookups and pagination, and crosses to a thread once per serializer call.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from demo.params import bounded_int
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.filters import SearchFilter
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from api.models import Note
from api.permissions import IsOwnerOrReadOnly
from api.serializers import NoteSerializer
from async_handler.client import session as shared_session
from async_handler.drf import ModelViewSet, action, api_view, permission_classes

UPSTREAM_TIMEOUT = aiohttp.ClientTimeout(total=10)


class NoteViewSet(ModelViewSet):
    """Notes: anyone may read them, signed-in users may write, and only owners may change them.

    The standard actions (list, create, retrieve, update, partial_update, destroy) are async
    under DRF's own names, so DRF's DefaultRouter routes them; ``?search=`` filters by text.
    """

    queryset = Note.objects.select_related("owner")
    serializer_class = NoteSerializer
    permission_classes = (IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly)
    filter_backends = (SearchFilter,)
    search_fields = ("title", "body")

    async def perform_create(self, serializer: NoteSerializer) -> None:
        await serializer.asave(owner=self.request.user)

    @action(detail=False, permission_classes=[IsAuthenticated], name="My notes")
    async def mine(self, request: Request) -> Response:
        """The signed-in user's own notes, newest first, paginated like the list."""
        queryset = await self.afilter_queryset(self.get_queryset().filter(owner=request.user))
        page = await self.apaginate_queryset(queryset)
        if page is None:
            return Response(await self.get_serializer(queryset, many=True).adata)
        return await self.get_apaginated_response(await self.get_serializer(page, many=True).adata)


async def _upstream(url: str) -> dict[str, Any]:
    """GET one URL with the worker's shared aiohttp session; return its status and body."""
    async with shared_session().get(url, timeout=UPSTREAM_TIMEOUT) as response:
        return {"url": url, "status": response.status, "body": await response.json()}


async def _count_own_notes(user: Any) -> int | None:
    """How many notes ``user`` owns, or None for an anonymous request."""
    if not user.is_authenticated:
        return None
    return await Note.objects.filter(owner=user).acount()


@api_view(["GET"])
@permission_classes([AllowAny])
async def stats(request: Request) -> Response:
    """Counts from the async ORM and a call to a slow upstream, all awaited at once.

    The "upstream" is this server's own ``/slow/?ms=`` (the demo machine may be offline), so
    the elapsed time is about the upstream's delay, not the sum of every step.
    """
    ms = bounded_int(request._request, "ms", default=200, low=0, high=2000)
    url = request.build_absolute_uri(f"{reverse('demo:slow')}?ms={ms}")
    started = time.perf_counter()
    notes, users, own_notes, upstream = await asyncio.gather(
        Note.objects.acount(),
        get_user_model().objects.acount(),
        _count_own_notes(request.user),
        _upstream(url),
    )
    return Response(
        {
            "notes": notes,
            "users": users,
            "user": request.user.get_username() or None,
            "own_notes": own_notes,
            "upstream": upstream,
            "elapsed": round(time.perf_counter() - started, 3),
        }
    )
