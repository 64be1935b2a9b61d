"""ViewSets and generic views for the DRF tests, routed by DRF's own routers in urls.py."""

from __future__ import annotations

from typing import Any

from rest_framework import filters
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.schemas.openapi import AutoSchema

from async_handler import drf
from async_handler.drf import action
from async_handler.drf._util import on_event_loop
from tests.drf_app.models import Note, Tag
from tests.drf_app.policies import (
    AsyncAllow,
    AsyncHeaderAuthentication,
    AsyncIsOwner,
    AsyncTitlePrefixFilter,
    record,
)
from tests.drf_app.serializers import (
    AsyncCreateNoteSerializer,
    NoteSerializer,
    PlainNoteSerializer,
)


class NoteViewSet(drf.ModelViewSet):
    """DRF style throughout, with a sync perform_create override and two async @actions."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    authentication_classes = (AsyncHeaderAuthentication, SessionAuthentication)
    permission_classes = (IsAuthenticatedOrReadOnly,)

    def perform_create(self, serializer: Any) -> None:
        serializer.save(owner=self.request.user, body=f"on_loop={on_event_loop()}")

    @action(detail=True, methods=["post"])
    async def rename(self, request: Any, pk: str) -> Response:
        note = await self.aget_object()
        note.title = request.data["title"]
        await note.asave()
        return Response({"title": note.title})

    @action(detail=False)
    async def count(self, request: Any) -> Response:
        return Response({"count": await self.get_queryset().acount()})


class PagedNoteViewSet(drf.ReadOnlyModelViewSet):
    schema = AutoSchema(operation_id_base="PagedNote")
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    pagination_class = type("TwoPerPage", (PageNumberPagination,), {"page_size": 2})
    filter_backends = (filters.SearchFilter,)
    search_fields = ("title",)


class LimitNoteViewSet(drf.ReadOnlyModelViewSet):
    schema = AutoSchema(operation_id_base="LimitNote")
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    pagination_class = LimitOffsetPagination
    filter_backends = (AsyncTitlePrefixFilter, filters.OrderingFilter)


class OwnedNoteViewSet(drf.ModelViewSet):
    """Composed view permission and an async object permission."""

    schema = AutoSchema(operation_id_base="OwnedNote")
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    authentication_classes = (AsyncHeaderAuthentication,)
    permission_classes = (IsAuthenticated & AsyncAllow, AsyncIsOwner)


class PlainSerializerViewSet(drf.ModelViewSet):
    """DRF's own ModelSerializer behind async actions."""

    schema = AutoSchema(operation_id_base="PlainNote")
    queryset = Note.objects.all()
    serializer_class = PlainNoteSerializer
    authentication_classes = ()
    permission_classes = ()


class AdrfStyleViewSet(drf.ModelViewSet):
    """Written against adrf's names: overrides `alist` and `perform_acreate`."""

    schema = AutoSchema(operation_id_base="AdrfNote")
    queryset = Note.objects.all()
    serializer_class = AsyncCreateNoteSerializer
    authentication_classes = ()
    permission_classes = ()

    async def alist(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = await super().alist(request, *args, **kwargs)
        response["X-Adrf-Style"] = "alist"
        return response

    async def perform_acreate(self, serializer: Any) -> None:
        await serializer.asave()


class MixedViewSet(drf.ViewSet):
    """An async list and a sync retrieve on one ViewSet."""

    authentication_classes = ()
    permission_classes = ()

    async def list(self, request: Any) -> Response:
        return Response({"action": self.action, "on_loop": on_event_loop()})

    def retrieve(self, request: Any, pk: str) -> Response:
        return Response({"action": self.action, "on_loop": on_event_loop(), "pk": pk})


class NoteListCreate(drf.ListCreateAPIView):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    authentication_classes = ()
    permission_classes = ()


class NoteDetail(drf.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    authentication_classes = ()
    permission_classes = ()


class ScopedNoteDetail(drf.RetrieveUpdateDestroyAPIView):
    """`get_queryset` overridden, as in most real views: it only builds a lazy queryset."""

    serializer_class = NoteSerializer
    authentication_classes = ()
    permission_classes = ()

    def get_queryset(self) -> Any:
        record("get_queryset")
        return Note.objects.filter(title__startswith="n")


class QueryingNoteDetail(ScopedNoteDetail):
    """A `get_queryset` that queries while building, which cannot run on the loop."""

    def get_queryset(self) -> Any:
        record("get_queryset")
        return Note.objects.exclude(title__in=list(Tag.objects.values_list("name", flat=True)))


class OwnSearchFilter(filters.SearchFilter):
    """A subclass of DRF's search filter: it might query, so it runs off the loop."""


class QueryingFilteredNoteDetail(QueryingNoteDetail):
    filter_backends = (OwnSearchFilter,)
    search_fields = ("title",)


class SearchedNoteList(drf.ListAPIView):
    """DRF's own search and ordering filters, which only build the queryset."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    authentication_classes = ()
    permission_classes = ()
    filter_backends = (filters.SearchFilter, filters.OrderingFilter)
    search_fields = ("title",)


class OwnSearchNoteList(SearchedNoteList):
    filter_backends = (OwnSearchFilter, filters.OrderingFilter)
