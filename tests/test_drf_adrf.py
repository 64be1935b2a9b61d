"""async_handler.drf against the installed adrf: adrf code moves over by its imports alone.

Every public name of every adrf module has its counterpart here, of the same kind;
where adrf has behaviour behind a name, the same call gives the same result with
ours (permissions and operators: tests/test_drf_operators.py; routers:
tests/test_drf_routers.py). adrf's own test suite also passes with its imports
pointed here (see MIGRATING.md).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import types
from typing import Any

import pytest
from rest_framework import pagination as drf_pagination
from rest_framework import serializers
from rest_framework import throttling as drf_throttling
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.test import APIRequestFactory

from async_handler.drf import fields as our_fields
from async_handler.drf import mixins as our_mixins
from async_handler.drf import serializers as our_serializers
from async_handler.drf import utils as our_utils
from async_handler.drf import views as our_views

adrf = pytest.importorskip("adrf", reason="adrf is not installed (the test extra installs it)")

# adrf's modules import these for their own use; they are not adrf's API.
_IMPLEMENTATION_ROOTS = {"asgiref", "async_property", *sys.stdlib_module_names}
# The modules issue #11 names; adrf 0.1.14 has no pagination or throttling module.
_ISSUE_MODULES = ("views", "viewsets", "generics", "mixins", "serializers", "fields",
                  "permissions", "decorators", "requests", "shortcuts", "pagination",
                  "throttling", "test")
# Django names adrf re-exports for which ours is a stricter-about-errors version.
_EXTENDED = {
    # Django's raises ValueError on `pk="abc"`; ours is a 404, as adrf.generics' is.
    ("shortcuts", "aget_object_or_404"),
}
ADRF_MODULES = sorted(info.name for info in pkgutil.iter_modules(adrf.__path__))


def _public_names(module: types.ModuleType) -> dict[str, Any]:
    names = {}
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        root = (getattr(value, "__module__", None) or "").split(".")[0]
        if root not in _IMPLEMENTATION_ROOTS:
            names[name] = value
    return names


def _ours(name: str) -> types.ModuleType:
    return importlib.import_module(f"async_handler.drf.{name}")


def test_adrf_has_the_modules_the_issue_lists() -> None:
    # Guards the parametrisation below against an adrf whose layout changed.
    assert {"views", "viewsets", "permissions", "test"} <= set(ADRF_MODULES)


@pytest.mark.parametrize("module", ADRF_MODULES)
def test_every_public_name_has_its_counterpart(module: str) -> None:
    theirs = importlib.import_module(f"adrf.{module}")
    ours = _ours(module)
    missing = sorted(set(_public_names(theirs)) - set(vars(ours)))
    assert missing == [], f"async_handler.drf.{module} lacks {missing}"
    for name, value in _public_names(theirs).items():
        counterpart = getattr(ours, name)
        if (module, name) in _EXTENDED:
            assert inspect.iscoroutinefunction(counterpart), name
        elif not (getattr(value, "__module__", None) or "").startswith("adrf"):
            # A DRF or Django name that adrf re-exports: the very same object.
            assert counterpart is value or counterpart == value, name
        elif inspect.isclass(value):
            assert inspect.isclass(counterpart), name
        elif inspect.iscoroutinefunction(value):
            assert inspect.iscoroutinefunction(counterpart), name
        else:
            assert callable(counterpart) == callable(value), name


@pytest.mark.parametrize("module", ADRF_MODULES)
def test_adrf_classes_members_exist_and_async_ones_stay_async(module: str) -> None:
    theirs, ours = importlib.import_module(f"adrf.{module}"), _ours(module)
    for name, cls in _public_names(theirs).items():
        if not (inspect.isclass(cls) and cls.__module__.startswith("adrf")):
            continue
        counterpart = getattr(ours, name)
        for member, value in inspect.getmembers(cls):
            if member.startswith("_"):
                continue
            assert hasattr(counterpart, member), f"{module}.{name}.{member}"
            if inspect.iscoroutinefunction(value):
                assert inspect.iscoroutinefunction(getattr(counterpart, member)), (
                    f"{module}.{name}.{member} must be awaitable, as adrf's is"
                )


@pytest.mark.parametrize("module", sorted(set(_ISSUE_MODULES) - set(ADRF_MODULES)))
def test_modules_adrf_lacks_carry_drfs_names(module: str) -> None:
    drf_module, base = {"pagination": (drf_pagination, drf_pagination.BasePagination),
                        "throttling": (drf_throttling, drf_throttling.BaseThrottle)}[module]
    ours = _ours(module)
    drf_classes = [name for name, value in vars(drf_module).items()
                   if inspect.isclass(value) and issubclass(value, base)]
    assert drf_classes and all(getattr(ours, name) is getattr(drf_module, name)
                               for name in drf_classes)


def test_package_exports_async_base_permission() -> None:
    from async_handler import drf

    assert drf.AsyncBasePermission is _ours("permissions").AsyncBasePermission


# The same call, with adrf's class and with ours, gives the same result.



class Refuse(BasePermission):
    message, code = "not today", "closed"

    def has_permission(self, request: Any, view: Any) -> bool:
        return False

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return obj != "mine"


class AsyncRefuse(Refuse):
    async def has_permission(self, request: Any, view: Any) -> bool:  # type: ignore[override]
        return False

    async def has_object_permission(  # type: ignore[override]
        self, request: Any, view: Any, obj: Any
    ) -> bool:
        return obj != "mine"


class Throttle:
    def __init__(self, allow: bool, wait: float) -> None:
        self.allowed, self.waited = allow, wait

    def allow_request(self, request: Any, view: Any) -> bool:
        return self.allowed

    def wait(self) -> float:
        return self.waited


class AsyncThrottle(Throttle):
    async def allow_request(self, request: Any, view: Any) -> bool:  # type: ignore[override]
        return self.allowed


def _views() -> list[tuple[Any, Any]]:
    """An adrf APIView and one of ours, each with a DRF request and no authenticators."""
    pairs = []
    for base in (importlib.import_module("adrf.views").APIView, our_views.APIView):
        view = type("View", (base,), {"authentication_classes": ()})()
        view.request = view.initialize_request(APIRequestFactory().get("/"))
        pairs.append((view, view.request))
    return pairs


def _denial(call: Any, *args: Any) -> tuple[str, str] | None:
    try:
        call(*args)
    except PermissionDenied as exc:
        return str(exc.detail), exc.detail.code  # type: ignore[union-attr]
    return None


async def _adenial(call: Any, *args: Any) -> tuple[str, str] | None:
    try:
        await call(*args)
    except PermissionDenied as exc:
        return str(exc.detail), exc.detail.code  # type: ignore[union-attr]
    return None


async def test_check_async_permissions_and_object_permissions_as_adrf() -> None:
    results = []
    for view, request in _views():
        results.append((
            await _adenial(view.check_async_permissions, request, [AsyncRefuse()]),
            await _adenial(view.check_async_object_permissions, request, [AsyncRefuse()], "mine"),
            await _adenial(view.check_async_object_permissions, request, [AsyncRefuse()], "yours"),
        ))
    refused = ("not today", "closed")
    assert results[0] == results[1] == (refused, refused, None)


def test_check_sync_permissions_and_object_permissions_as_adrf() -> None:
    results = [
        (_denial(view.check_sync_permissions, request, [AllowAny(), Refuse()]),
         _denial(view.check_sync_permissions, request, [AllowAny()]),
         _denial(view.check_sync_object_permissions, request, [Refuse()], "yours"),
         _denial(view.check_sync_object_permissions, request, [Refuse()], "mine"))
        for view, request in _views()
    ]
    refused = ("not today", "closed")
    assert results[0] == results[1] == (refused, None, None, refused)


async def test_check_async_throttles_returns_the_waits_as_adrf() -> None:
    throttles = [AsyncThrottle(False, 3.0), AsyncThrottle(True, 9.0), AsyncThrottle(False, 5.0)]
    results = [await view.check_async_throttles(request, throttles) for view, request in _views()]
    assert results[0] == results[1] == [3.0, 5.0]


def test_check_sync_throttles_returns_the_waits_as_adrf() -> None:
    throttles = [Throttle(True, 1.0), Throttle(False, 2.0)]
    results = [view.check_sync_throttles(request, throttles) for view, request in _views()]
    assert results[0] == results[1] == [2.0]


async def test_field_ato_representation_as_adrf() -> None:
    theirs = importlib.import_module("adrf.fields")
    for name in ("CharField", "IntegerField", "BooleanField"):
        field_values = [await module.__dict__[name]().ato_representation(value)
                        for module in (theirs, our_fields) for value in ("7", 1)]
        assert field_values[:2] == field_values[2:], name


class Named(serializers.Serializer):
    name = serializers.CharField()


class Holder(serializers.Serializer):
    inner = Named()


async def test_get_data_and_nested_aget_attribute_as_adrf() -> None:
    theirs_mixins = importlib.import_module("adrf.mixins")
    theirs_serializers = importlib.import_module("adrf.serializers")
    for get_data in (theirs_mixins.get_data, our_mixins.get_data):
        assert await get_data(Named({"name": "plain DRF"})) == {"name": "plain DRF"}
    for module in (theirs_serializers, our_serializers):
        nested_cls = type("Inner", (module.Serializer,), {"name": serializers.CharField()})
        outer = type("Outer", (serializers.Serializer,), {"inner": nested_cls()})()
        field = outer.fields["inner"]
        assert await field.aget_attribute({"inner": {"name": "x"}}) == {"name": "x"}


def test_getmembers_as_adrf() -> None:
    theirs = importlib.import_module("adrf.utils").getmembers
    for cls in (our_views.APIView, importlib.import_module("adrf.viewsets").ModelViewSet):
        args = (cls, inspect.iscoroutinefunction)
        exclude = ["view_is_async", "async_dispatch"]
        assert our_utils.getmembers(*args, exclude_names=exclude) == theirs(*args, exclude)
