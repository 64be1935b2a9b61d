"""async_handler.drf.routers: adrf's routers, routing async viewsets to `alist`-style actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import AsyncClient, override_settings
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter as DRFSimpleRouter

from async_handler import drf
from async_handler.drf.routers import DefaultRouter, SimpleRouter
from tests.drf_app.models import Note
from tests.drf_app.serializers import NoteSerializer

pytestmark = pytest.mark.usefixtures("drf_clean")


class AdrfNames(drf.ViewSet):
    """Only adrf's names, as an adrf ViewSet would have them."""

    authentication_classes = ()
    permission_classes = ()

    async def alist(self, request: Any) -> Response:
        return Response({"action": self.action})

    async def aretrieve(self, request: Any, pk: str) -> Response:
        return Response({"action": self.action, "pk": pk})

    def destroy(self, request: Any, pk: str) -> Response:  # a sync DRF-named action
        return Response({"action": self.action})


class Notes(drf.ModelViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    authentication_classes = ()
    permission_classes = ()


router = DefaultRouter()
router.register("adrf-names", AdrfNames, basename="adrf-names")
router.register("notes", Notes, basename="notes")
urlpatterns = router.urls

LIST = {"get": "list", "post": "create"}
DETAIL = {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}


def test_method_maps_prefer_async_a_names_as_adrf() -> None:
    simple = SimpleRouter()
    assert simple.get_method_map(AdrfNames, LIST) == {"get": "alist"}
    assert simple.get_method_map(AdrfNames, DETAIL) == {"get": "aretrieve", "delete": "destroy"}
    assert simple.get_method_map(Notes, DETAIL) == {
        "get": "aretrieve", "put": "aupdate", "patch": "partial_aupdate", "delete": "adestroy"}
    # DRF's router (the package's DefaultRouter) keeps DRF's names.
    assert DRFSimpleRouter().get_method_map(Notes, LIST) == LIST
    assert drf.DefaultRouter is not DefaultRouter


@override_settings(ROOT_URLCONF=__name__)
async def test_routed_requests_reach_the_a_named_actions() -> None:
    client = AsyncClient()
    assert (await client.get("/adrf-names/")).json() == {"action": "alist"}
    assert (await client.get("/adrf-names/3/")).json() == {"action": "aretrieve", "pk": "3"}
    assert (await client.delete("/adrf-names/3/")).json() == {"action": "destroy"}
    created = await client.post("/notes/", {"title": "routed"}, content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    patched = await client.patch(f"/notes/{pk}/", {"title": "again"},
                                 content_type="application/json")
    assert patched.json()["title"] == "again"
    assert (await client.get("/notes/")).json()[0]["title"] == "again"
    assert (await client.delete(f"/notes/{pk}/")).status_code == 204
    assert (await client.get("/")).json().keys() == {"adrf-names", "notes"}  # API root
