"""async_handler.drf's viewsets, generic views, routers, schemas and adrf names, through
Django's WSGI (test Client) and ASGI (AsyncClient) handlers."""

from __future__ import annotations

import importlib
from typing import Any

import django
import pytest
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.urls import resolve
from rest_framework.authtoken.models import Token

from tests.drf_app.models import Note, Tag
from tests.drf_app.testing import Api, as_user, make_user

# Every test here starts and ends with no users, notes or cached policies.
pytestmark = pytest.mark.usefixtures("drf_clean")


# ViewSets, routers, generics


@pytest.mark.parametrize("path", ["/drf/notes/", "/drf/notes/1/", "/drf/notes/1/rename/",
                                  "/drf/notes/count/", "/drf/simple/notes/", "/drf/mixed/"])
def test_router_routes_async_actions_to_coroutine_views(path: str) -> None:
    func = resolve(path).func
    assert iscoroutinefunction(func)
    assert func.csrf_exempt and func.cls.__name__ in {"NoteViewSet", "MixedViewSet"}


def test_router_keeps_drf_action_names() -> None:
    def actions(path: str) -> dict[str, str]:
        # DRF's view adds "head" to its actions on the first request.
        return {k: v for k, v in resolve(path).func.actions.items() if k != "head"}

    assert actions("/drf/notes/") == {"get": "list", "post": "create"}
    assert actions("/drf/notes/1/") == {
        "get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"
    }
    assert not iscoroutinefunction(resolve("/drf/mixed/1/").func)  # its retrieve is sync


def test_mixed_viewset_runs_sync_action_in_a_thread(api: Api) -> None:
    assert api.get("/drf/mixed/").json() == {"action": "list", "on_loop": True}
    assert api.get("/drf/mixed/7/").json() == {"action": "retrieve", "on_loop": False, "pk": "7"}


def test_model_viewset_crud_through_default_router(api: Api, alice: Any) -> None:
    me = as_user(alice)
    tag = Tag.objects.create(name="t1")
    anonymous = api.post("/drf/notes/", {"title": "x"})
    assert anonymous.status_code == 401
    created = api.post("/drf/notes/", {"title": "first", "tags": [tag.pk]}, headers=me)
    assert created.status_code == 201, created.content
    note = created.json()
    # The sync perform_create override ran, in a thread, with request.user set.
    assert (note["owner"], note["body"], note["tags"]) == (alice.pk, "on_loop=False", [tag.pk])
    url = f"/drf/notes/{note['id']}/"
    assert api.get("/drf/notes/").json() == [note]
    assert api.get(url).json() == note
    assert api.request("PUT", url, {"title": "second"}, headers=me).json()["title"] == "second"
    patched = api.request("PATCH", url, {"body": "b"}, headers=me).json()
    assert (patched["title"], patched["body"]) == ("second", "b")
    renamed = api.post(f"{url}rename/", {"title": "third"}, headers=me)
    assert renamed.json() == {"title": "third"}
    assert api.get("/drf/notes/count/").json() == {"count": 1}
    assert api.get("/drf/simple/notes/").json()[0]["title"] == "third"
    assert api.request("DELETE", url, headers=me).status_code == 204
    assert api.get(url).status_code == 404
    assert api.get("/drf/notes/abc/").status_code == 404  # malformed pk: 404, as in DRF


@pytest.mark.skipif(django.VERSION < (5, 0), reason="the test's permission awaits "
                    "request.auser(), which Django added in 5.0")
def test_options_on_detail_checks_async_object_permission_from_sync_metadata(
    api: Api, alice: Any
) -> None:
    note = Note.objects.create(title="mine", owner=alice)
    bob = make_user("bob")
    url = f"/drf/owned-notes/{note.pk}/"
    assert "PUT" in api.request("OPTIONS", url, headers=as_user(alice)).json()["actions"]
    assert "actions" not in api.request("OPTIONS", url, headers=as_user(bob)).json()


def test_generic_views(api: Api) -> None:
    created = api.post("/drf/generic/notes/", {"title": "g"})
    assert created.status_code == 201
    url = f"/drf/generic/notes/{created.json()['id']}/"
    assert api.get("/drf/generic/notes/").json()[0]["title"] == "g"
    assert api.request("PATCH", url, {"title": "h"}).json()["title"] == "h"
    invalid = api.request("PUT", url, {"title": ""})
    assert invalid.status_code == 400 and "title" in invalid.json()
    assert api.request("DELETE", url).status_code == 204
    assert api.get(url).status_code == 404


def test_plain_drf_serializer_behind_async_actions(api: Api) -> None:
    created = api.post("/drf/plain-notes/", {"title": "plain"})
    assert created.status_code == 201
    assert api.get(f"/drf/plain-notes/{created.json()['id']}/").json()["title"] == "plain"


def test_adrf_style_overrides_are_honoured(api: Api) -> None:
    created = api.post("/drf/adrf-notes/", {"title": "adrf"})
    assert created.status_code == 201 and created.json() == {"title": "adrf"}
    listed = api.get("/drf/adrf-notes/")
    assert listed["X-Adrf-Style"] == "alist"
    assert listed.json() == [{"title": "adrf"}]


def test_page_number_pagination_and_search(api: Api) -> None:
    Note.objects.bulk_create([Note(title=f"n{i}") for i in range(5)])
    first = api.get("/drf/paged-notes/").json()
    assert (first["count"], len(first["results"])) == (5, 2)
    assert first["next"].endswith("/drf/paged-notes/?page=2") and first["previous"] is None
    last = api.get("/drf/paged-notes/?page=last").json()
    assert [n["title"] for n in last["results"]] == ["n4"]
    assert api.get("/drf/paged-notes/?page=9").json() == {"detail": "Invalid page."}
    found = api.get("/drf/paged-notes/?search=n3").json()
    assert (found["count"], found["results"][0]["title"]) == (1, "n3")


def test_limit_offset_pagination(api: Api) -> None:
    Note.objects.bulk_create([Note(title=f"n{i}") for i in range(5)])
    page = api.get("/drf/limit-notes/?limit=2&offset=1").json()
    assert page["count"] == 5 and [n["title"] for n in page["results"]] == ["n1", "n2"]
    assert api.get("/drf/limit-notes/?limit=2&offset=9").json()["results"] == []
    assert len(api.get("/drf/limit-notes/").json()) == 5  # no limit: not paginated
    # An async filter backend, then DRF's sync OrderingFilter.
    found = api.get("/drf/limit-notes/?limit=5&prefix=n&ordering=-title").json()
    assert [n["title"] for n in found["results"]] == ["n4", "n3", "n2", "n1", "n0"]
    assert api.get("/drf/limit-notes/?limit=5&prefix=x").json()["count"] == 0


def test_openapi_schema_generation() -> None:
    from rest_framework.request import Request
    from rest_framework.schemas.openapi import SchemaGenerator
    from rest_framework.test import APIRequestFactory

    from tests.drf_app.urls import router, urlpatterns

    schema = SchemaGenerator(title="t", patterns=router.urls).get_schema(public=True)
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"listNotes", "createNote", "retrieveNote", "updateNote", "partialUpdateNote",
            "destroyNote", "renameNote", "countNote"} <= operations
    paged = schema["paths"]["/paged-notes/"]["get"]["responses"]["200"]["content"]
    assert "count" in paged["application/json"]["schema"]["properties"]
    # With a request, each view's permissions are checked from sync code, async ones too.
    request = Request(APIRequestFactory().get("/"))
    composed = [p for p in urlpatterns if str(p.pattern) in {"deny/", "not/"}]
    private = SchemaGenerator(patterns=composed).get_schema(request=request, public=False)
    assert "/deny/" not in private["paths"] and "/not/" in private["paths"]
# Familiar to adrf users: replacing `adrf` with `async_handler.drf` in imports is enough.

ADRF_NAMES = {
    "views": ["APIView"],
    "decorators": ["api_view"],
    "viewsets": ["ViewSet", "GenericViewSet", "ModelViewSet", "ReadOnlyModelViewSet"],
    "generics": ["GenericAPIView", "CreateAPIView", "ListAPIView", "RetrieveAPIView",
                 "DestroyAPIView", "UpdateAPIView", "ListCreateAPIView", "RetrieveUpdateAPIView",
                 "RetrieveDestroyAPIView", "RetrieveUpdateDestroyAPIView", "aget_object_or_404"],
    "mixins": ["CreateModelMixin", "ListModelMixin", "RetrieveModelMixin", "UpdateModelMixin",
               "DestroyModelMixin"],
    "serializers": ["BaseSerializer", "Serializer", "ListSerializer", "ModelSerializer",
                    "CharField", "IntegerField", "SerializerMethodField"],
    "fields": ["SerializerMethodField", "CharField", "ReadOnlyField"],
    "routers": ["DefaultRouter", "SimpleRouter"],
    "shortcuts": ["aget_object_or_404"],
    "requests": ["AsyncRequest"],
    "test": ["AsyncAPIClient", "AsyncAPIRequestFactory"],
}
ADRF_METHODS = {
    "viewsets.ModelViewSet": ["view_is_async", "async_dispatch", "sync_dispatch", "aget_object",
                              "afilter_queryset", "apaginate_queryset", "get_apaginated_response",
                              "alist", "acreate", "aretrieve", "aupdate", "partial_aupdate",
                              "adestroy", "perform_acreate", "perform_aupdate",
                              "perform_adestroy"],
    "serializers.ModelSerializer": ["adata", "ato_representation", "acreate", "aupdate",
                                    "asave"],
}


@pytest.mark.parametrize("module", sorted(ADRF_NAMES))
def test_adrf_module_and_names(module: str) -> None:
    imported = importlib.import_module(f"async_handler.drf.{module}")
    assert [name for name in ADRF_NAMES[module] if not hasattr(imported, name)] == []


@pytest.mark.parametrize("path", sorted(ADRF_METHODS))
def test_adrf_method_names(path: str) -> None:
    module, name = path.split(".")
    cls = getattr(importlib.import_module(f"async_handler.drf.{module}"), name)
    assert [method for method in ADRF_METHODS[path] if not hasattr(cls, method)] == []


async def test_async_api_client_and_request_factory() -> None:
    from async_handler.drf.test import AsyncAPIClient, AsyncAPIRequestFactory
    from tests.drf_app.viewsets import NoteListCreate

    user = await sync_to_async(make_user)("alice")
    token = await Token.objects.acreate(user=user)
    client = AsyncAPIClient()
    assert (await client.post("/drf/whoami/", {"a": 1}, format="json")).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    reply = await client.post("/drf/whoami/", {"a": 1}, format="json")
    assert (reply.status_code, reply.json()) == (200, {"received": {"a": 1}})
    client.credentials()
    client.force_authenticate(user)
    assert (await client.get("/drf/whoami/")).json()["user"] == user.username
    client.force_authenticate(None)
    assert (await client.get("/drf/whoami/")).status_code == 401
    request = AsyncAPIRequestFactory().post("/", {"title": "f"}, format="json")
    response = await NoteListCreate.as_view()(request)
    assert response.status_code == 201 and response.data["title"] == "f"
