"""How often async_handler.drf crosses from the event loop to a thread, and which thread.

Every crossing, ours or the async ORM's, goes through asgiref's SyncToAsync, so the
`hops` fixture counts its calls (the real ones still run). Views are called directly
with AsyncRequestFactory, without middleware, so the count is the view's alone.
"""

from __future__ import annotations

import functools
import threading
import uuid
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.test import AsyncRequestFactory
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from async_handler.drf import AsyncRequest, ListSerializer
from tests.drf_app import views, viewsets
from tests.drf_app.models import Note, Tag
from tests.drf_app.policies import THREADS
from tests.drf_app.serializers import (
    THREAD_OF_ACREATE,
    AsyncCreateNoteSerializer,
    NoteSerializer,
    NoteWithAsyncTagsSerializer,
    RowSerializer,
    TagSerializer,
)
from tests.drf_app.testing import make_user

# Every test here starts and ends with no users, notes or cached policies.
pytestmark = pytest.mark.usefixtures("drf_clean")

factory = AsyncRequestFactory()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the sync callables run through sync_to_async from now on."""
    calls: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        func = self.func
        while isinstance(func, functools.partial):
            func = func.func
        calls.append(getattr(func, "__qualname__", type(func).__name__))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    return calls


@pytest.fixture
def token() -> Token:
    return Token.objects.create(user=make_user("alice"))


@pytest.fixture
def notes() -> list[Note]:
    tags = Tag.objects.bulk_create([Tag(name=f"t{i}") for i in range(2)])
    created = Note.objects.bulk_create([Note(title=f"n{i}") for i in range(30)])
    for note in created[:3]:
        note.tags.set(tags)
    return created


def _off_loop(name: str) -> int:
    """The one thread `name` ran on, checked not to be this (the loop's) thread."""
    threads = set(THREADS[name])
    assert len(threads) == 1 and threading.get_ident() not in threads, THREADS
    return threads.pop()


# Policies and errors


async def test_sync_authentication_permission_and_throttle_share_one_hop(
    hops: list[str], token: Token
) -> None:
    request = factory.get("/", headers={"Authorization": f"Token {token.key}",
                                        "X-Throttle-Key": uuid.uuid4().hex})
    response = await views.Policies.as_view()(request)
    assert response.status_code == 200 and response.data["user"] == "drf-alice"
    assert len(hops) == 1, hops
    ran_on = {_off_loop("authentication"), _off_loop("permission"), _off_loop("throttle")}
    assert len(ran_on) == 1


async def test_async_policies_cross_to_no_thread(hops: list[str]) -> None:
    response = await views.AsyncPolicies.as_view()(factory.get("/"))
    assert response.status_code == 200
    assert hops == []


async def test_exception_handler_runs_off_the_loop_in_one_hop(hops: list[str]) -> None:
    response = await views.Failing.as_view()(factory.get("/"))
    assert response.status_code == 404 and "users" in response.data
    assert len(hops) == 1, hops
    _off_loop("exception_handler")


async def test_early_exit_costs_the_policy_hop_and_the_handler_hop(
    hops: list[str], token: Token
) -> None:
    response = await views.Policies.as_view()(factory.get("/"))  # no credentials
    assert response.status_code == 401
    assert len(hops) == 2, hops


async def test_await_request_auser(hops: list[str], token: Token) -> None:
    django_request = factory.get("/", headers={"Authorization": f"Token {token.key}"})
    request = AsyncRequest(django_request, authenticators=[TokenAuthentication()])
    user = await request.auser()
    assert user.username == "drf-alice" and request.user is user
    assert await request.aauth() == token
    assert len(hops) == 1, hops


# Generic views


async def test_list_renders_every_row_in_one_hop(hops: list[str], notes: list[Note]) -> None:
    response = await viewsets.NoteListCreate.as_view()(factory.get("/"))
    assert len(response.data) == 30
    assert len(hops) == 1, hops


async def test_retrieve_is_one_lookup_and_one_render(hops: list[str], notes: list[Note]) -> None:
    response = await viewsets.NoteDetail.as_view()(factory.get("/"), pk=notes[0].pk)
    assert response.data["title"] == "n0"
    assert hops == ["QuerySet.get", "Serializer.to_representation"]  # aget(), then one render


async def test_paginated_list_hops_do_not_grow_with_rows(
    hops: list[str], notes: list[Note]
) -> None:
    view = viewsets.PagedNoteViewSet.as_view({"get": "list"})
    response = await view(factory.get("/", {"page": 2}))
    assert response.data["count"] == 30 and len(response.data["results"]) == 2
    # Default (sync) authenticators, acount(), the page, the render: DRF's search
    # filter only builds the queryset, so it runs on the loop.
    assert hops == ["_run_all", "QuerySet.count", "QuerySet._fetch_all",
                    "ListSerializer.to_representation"]


# Querysets are lazy: built on the loop, as in adrf; only evaluation and filters that may
# query hop. With get_queryset overridden, that saves retrieve, update and destroy a hop.


async def test_retrieve_update_destroy_build_the_queryset_on_the_loop(
    hops: list[str], notes: list[Note]
) -> None:
    view = viewsets.ScopedNoteDetail.as_view()
    response = await view(factory.get("/"), pk=notes[0].pk)
    assert response.data["title"] == "n0"
    assert hops == ["QuerySet.get", "Serializer.to_representation"]
    response = await view(factory.put("/", {"title": "n-new"}, content_type="application/json"),
                          pk=notes[0].pk)
    assert response.status_code == 200 and response.data["title"] == "n-new"
    assert hops[2:] == ["QuerySet.get", "BaseSerializer.is_valid", "ModelSerializer.update",
                        "Serializer.to_representation"]
    response = await view(factory.delete("/"), pk=notes[0].pk)
    assert response.status_code == 204
    assert hops[6:] == ["QuerySet.get", "Model.delete"]
    assert not await Note.objects.filter(pk=notes[0].pk).aexists()
    assert set(THREADS["get_queryset"]) == {threading.get_ident()}


async def test_a_get_queryset_that_queries_runs_again_off_the_loop(
    hops: list[str], notes: list[Note]
) -> None:
    response = await viewsets.QueryingNoteDetail.as_view()(factory.get("/"), pk=notes[5].pk)
    assert response.data["title"] == "n5"
    assert hops == ["QueryingNoteDetail.get_queryset", "QuerySet.get",
                    "Serializer.to_representation"]
    loop, thread = THREADS["get_queryset"]  # tried on the loop, then run in the hop
    assert loop == threading.get_ident() != thread


async def test_a_querying_get_queryset_and_a_sync_filter_share_one_hop(
    hops: list[str], notes: list[Note]
) -> None:
    view = viewsets.QueryingFilteredNoteDetail.as_view()
    response = await view(factory.get("/", {"search": "n7"}), pk=notes[7].pk)
    assert response.data["title"] == "n7"
    assert len(hops) == 3 and hops[1:] == ["QuerySet.get", "Serializer.to_representation"], hops
    response = await view(factory.get("/", {"search": "n8"}), pk=notes[7].pk)
    assert response.status_code == 404


async def test_drf_filters_run_on_the_loop_and_subclasses_hop(
    hops: list[str], notes: list[Note]
) -> None:
    request = factory.get("/", {"search": "n1", "ordering": "-title"})
    response = await viewsets.SearchedNoteList.as_view()(request)
    assert [row["title"] for row in response.data][:3] == ["n19", "n18", "n17"]
    assert len(response.data) == 11
    assert hops == ["ListSerializer.to_representation"]
    response = await viewsets.OwnSearchNoteList.as_view()(request)
    assert len(response.data) == 11
    # The subclass and the ordering filter after it run in the same hop.
    assert hops[1:] == ["GenericAPIView._apply_backends", "ListSerializer.to_representation"]


# Serializers


async def test_adata_renders_a_thousand_rows_in_one_hop(hops: list[str]) -> None:
    rows = [{"n": n} for n in range(1000)]
    data = await RowSerializer(rows, many=True).adata
    assert data[999] == {"a": 999, "b": 1998}
    assert len(hops) == 1, hops
    assert len(THREADS["field"]) == 2000
    _off_loop("field")


async def test_nested_async_method_fields_after_one_hop(hops: list[str], notes: list[Note]) -> None:
    data = await NoteWithAsyncTagsSerializer(Note.objects.all()[:3], many=True).adata
    assert data[0] == {"title": "n0", "tags": [{"name": "t0", "loud": "T0"},
                                               {"name": "t1", "loud": "T1"}]}
    assert len(hops) == 1, hops
    assert set(THREADS["async_field_loop"]) == {threading.get_ident()}


async def test_ais_valid_asave_adata_one_hop_each(hops: list[str]) -> None:
    serializer = TagSerializer(data={"name": "fresh"})
    assert await serializer.ais_valid()
    assert len(hops) == 1
    tag = await serializer.asave()
    assert len(hops) == 2 and tag.pk is not None
    assert await serializer.adata == {"id": tag.pk, "name": "fresh"}
    assert len(hops) == 3
    duplicate = TagSerializer(data={"name": "fresh"})
    assert not await duplicate.ais_valid()  # the unique validator queried, in the hop
    assert duplicate.errors["name"][0].code == "unique"
    assert len(hops) == 4, hops


async def test_asave_update_and_direct_calls_one_hop_each(
    hops: list[str], notes: list[Note]
) -> None:
    serializer = NoteSerializer(notes[0], data={"title": "renamed"}, partial=True)
    await serializer.ais_valid(raise_exception=True)
    assert (await serializer.asave()).title == "renamed"
    assert len(hops) == 2
    created = await NoteSerializer().acreate({"title": "direct"})
    updated = await NoteSerializer().aupdate(created, {"title": "again"})
    represented = await NoteSerializer().ato_representation(updated)
    assert represented["title"] == "again"
    assert len(hops) == 5, hops


async def test_many_create_is_one_validation_hop_and_one_save_hop(hops: list[str]) -> None:
    serializer = TagSerializer(data=[{"name": "a"}, {"name": "b"}, {"name": "c"}], many=True)
    assert isinstance(serializer, ListSerializer)
    assert await serializer.ais_valid()
    saved = await serializer.asave()
    assert [tag.name for tag in saved] == ["a", "b", "c"]
    assert len(hops) == 2, hops


async def test_users_async_acreate_is_awaited_on_the_loop(hops: list[str]) -> None:
    serializer = AsyncCreateNoteSerializer(data={"title": "native"})
    assert await serializer.ais_valid()
    note = await serializer.asave()
    assert note.title == "native" and THREAD_OF_ACREATE[-1] == threading.get_ident()
    assert len(hops) == 2, hops  # is_valid, then the ORM's own acreate


async def test_adata_before_validation_raises_drfs_error() -> None:
    with pytest.raises(AssertionError, match="must call `.is_valid"):
        await TagSerializer(data={"name": "x"}).adata

