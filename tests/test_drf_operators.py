"""adrf's AsyncBasePermission and its async operators (async_handler/drf/operators.py).

Subclasses combine with `&`, `|` and `~` into AAND, AOR and ANOT, which may be awaited
directly and which views evaluate leaf by leaf, under async and sync dispatch alike.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from rest_framework import permissions as drf_permissions
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from async_handler.drf import APIView
from async_handler.drf.permissions import (
    AAND,
    ANOT,
    AOR,
    AsyncBasePermission,
    AsyncOperandHolder,
    try_convert_operator,
)
from tests.drf_app.models import Note

pytestmark = pytest.mark.usefixtures("drf_clean")
factory = APIRequestFactory()


class Grant(AsyncBasePermission):
    async def has_permission(self, request: Any, view: Any) -> bool:
        return True


class Refuse(AsyncBasePermission):
    message = "refused"

    async def has_permission(self, request: Any, view: Any) -> bool:
        return False

    async def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return False


class SyncRefuse(drf_permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return False


class AsyncView(APIView):
    authentication_classes = ()

    async def get(self, request: Any) -> Response:
        return Response({"ok": True})


class SyncView(APIView):
    authentication_classes = ()

    def get(self, request: Any) -> Response:
        return Response({"ok": True})


def test_operators_on_async_classes_build_async_operators() -> None:
    assert isinstance((Grant & Refuse)(), AAND)
    assert isinstance((Grant | Refuse)(), AOR)
    assert isinstance((~Refuse)(), ANOT)
    assert isinstance((~(Grant & Refuse) | Grant)(), AOR)
    assert isinstance((SyncRefuse & Grant)(), drf_permissions.AND)  # DRF's class on the left


async def test_defaults_grant_and_operators_await_their_operands() -> None:
    request = factory.get("/")
    assert await AsyncBasePermission().has_permission(request, None) is True
    assert await AsyncBasePermission().has_object_permission(request, None, 1) is True
    assert await (Grant & Refuse)().has_permission(request, None) is False
    assert await (Refuse | Grant)().has_permission(request, None) is True
    assert await (~Refuse)().has_permission(request, None) is True
    # A sync operand too, and OR's object rule: view access is needed as well.
    assert await AAND(Grant(), SyncRefuse()).has_permission(request, None) is False
    assert await AOR(SyncRefuse(), Grant()).has_object_permission(request, None, 1) is True
    assert await AOR(Refuse(), SyncRefuse()).has_object_permission(request, None, 1) is False


@pytest.mark.parametrize("view_class", [AsyncView, SyncView])
@pytest.mark.parametrize(("permission", "status"), [
    (Grant & Grant, 200), (Grant & Refuse, 403), (Refuse | Grant, 200), (~Refuse, 200),
    (~Grant, 403), (Grant & SyncRefuse, 403), (SyncRefuse | ~Refuse, 200),
    # An async operator over sync leaves only: asked directly, it would answer a coroutine.
    (AsyncOperandHolder(AAND, drf_permissions.AllowAny, SyncRefuse), 403),
])
def test_views_evaluate_compositions(view_class: Any, permission: Any, status: int) -> None:
    # SyncView runs DRF's sync dispatch: an AAND answering with a coroutine there
    # would be truthy and let every request through.
    view = view_class.as_view(permission_classes=[permission])

    async def call() -> Any:
        return await view(factory.get("/"))

    response = async_to_sync(call)() if view_class is AsyncView else view(factory.get("/"))
    assert response.status_code == status


async def test_refusal_carries_the_permissions_message() -> None:
    response = await AsyncView.as_view(permission_classes=[Refuse])(factory.get("/"))
    assert response.status_code == 403 and response.data["detail"] == "refused"


async def test_object_permission_with_a_real_row() -> None:
    note = await Note.objects.acreate(title="x")

    class Detail(AsyncView):
        permission_classes = [Grant & ~Refuse]

        async def get(self, request: Any) -> Response:
            await self.check_object_permissions(request, await Note.objects.aget(pk=note.pk))
            return Response({"ok": True})

    assert (await Detail.as_view()(factory.get("/"))).status_code == 200
    Detail.permission_classes = [Grant & Refuse]
    assert (await Detail.as_view()(factory.get("/"))).status_code == 403


def test_try_convert_operator() -> None:
    sync_tree = drf_permissions.OR(
        drf_permissions.AND(SyncRefuse(), Grant()), drf_permissions.NOT(SyncRefuse())
    )
    converted = try_convert_operator(sync_tree)
    assert isinstance(converted, AOR)
    assert isinstance(converted.op1, AAND) and isinstance(converted.op2, ANOT)
    assert converted.op1.op1 is sync_tree.op1.op1  # leaves are kept
    leaf = Grant()
    assert try_convert_operator(leaf) is leaf
    already = AAND(drf_permissions.NOT(leaf), leaf)
    assert try_convert_operator(already) is already and isinstance(already.op1, ANOT)
