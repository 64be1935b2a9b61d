"""adrf's async permission base class and the async `&`, `|` and `~` operators.

`AsyncBasePermission`'s metaclass makes `A & B`, `A | B` and `~A` on its
subclasses build `AAND`, `AOR` and `ANOT`, whose own `has_permission` and
`has_object_permission` are `async def` and may be awaited directly. They keep
DRF's semantics, including OR's object rule (an operand grants object access only
if it also grants view access). Views evaluate them leaf by leaf (evaluation.py),
so a sync operand costs one thread hop for the whole sync part of the tree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from rest_framework import permissions as drf_permissions

from .evaluation import HAS_OBJECT_PERMISSION, HAS_PERMISSION, aevaluate

Check = Callable[..., Awaitable[bool]]


def _check(operand: Any, method: str) -> Check:
    """`operand.<method>` as an awaitable callable, whatever the operand's kind."""
    return partial(aevaluate, operand, method)


class AsyncOperandHolderMixin:
    """`&`, `|` and `~` between permission classes build holders of async operators."""

    def __and__(self, other: Any) -> AsyncOperandHolder:
        return AsyncOperandHolder(AAND, self, other)

    def __or__(self, other: Any) -> AsyncOperandHolder:
        return AsyncOperandHolder(AOR, self, other)

    def __rand__(self, other: Any) -> AsyncOperandHolder:
        return AsyncOperandHolder(AAND, other, self)

    def __ror__(self, other: Any) -> AsyncOperandHolder:
        return AsyncOperandHolder(AOR, other, self)

    def __invert__(self) -> AsyncSingleOperandHolder:
        return AsyncSingleOperandHolder(ANOT, self)


class AsyncOperandHolder(AsyncOperandHolderMixin, drf_permissions.OperandHolder):
    """DRF's OperandHolder (instantiated per request into an operator), async flavoured."""


class AsyncSingleOperandHolder(AsyncOperandHolderMixin, drf_permissions.SingleOperandHolder):
    """DRF's SingleOperandHolder, for `~`, async flavoured."""


class AsyncLogicOperatorMixin:
    """Awaitable checks of a two-operand operator's operands (adrf's helper names)."""

    op1: Any
    op2: Any

    def get_async_has_perm(self) -> tuple[Check, Check]:
        return _check(self.op1, HAS_PERMISSION), _check(self.op2, HAS_PERMISSION)

    def get_async_has_obj_perm(self) -> tuple[Check, Check]:
        return _check(self.op1, HAS_OBJECT_PERMISSION), _check(self.op2, HAS_OBJECT_PERMISSION)


class AsyncSingleLogicOperatorMixin:
    """Awaitable checks of `~`'s one operand (adrf's helper names)."""

    op1: Any

    def get_async_has_perm(self) -> Check:
        return _check(self.op1, HAS_PERMISSION)

    def get_async_has_obj_perm(self) -> Check:
        return _check(self.op1, HAS_OBJECT_PERMISSION)


class AAND(AsyncLogicOperatorMixin, drf_permissions.AND):
    """`A & B`: both must grant; B is not consulted once A refuses."""

    async def has_permission(self, request: Any, view: Any) -> bool:
        first, second = self.get_async_has_perm()
        return await first(request, view) and await second(request, view)

    async def has_object_permission(
        self, request: Any, view: Any, obj: Any
    ) -> bool:
        first, second = self.get_async_has_obj_perm()
        return await first(request, view, obj) and await second(request, view, obj)


class AOR(AsyncLogicOperatorMixin, drf_permissions.OR):
    """`A | B`: either grants; for objects, an operand must grant both view and object."""

    async def has_permission(self, request: Any, view: Any) -> bool:
        first, second = self.get_async_has_perm()
        return await first(request, view) or await second(request, view)

    async def has_object_permission(
        self, request: Any, view: Any, obj: Any
    ) -> bool:
        view_checks = self.get_async_has_perm()
        object_checks = self.get_async_has_obj_perm()
        for view_check, object_check in zip(view_checks, object_checks, strict=True):
            if await view_check(request, view) and await object_check(request, view, obj):
                return True
        return False


class ANOT(AsyncSingleLogicOperatorMixin, drf_permissions.NOT):
    """`~A`: grants exactly when A refuses."""

    async def has_permission(self, request: Any, view: Any) -> bool:
        return not await self.get_async_has_perm()(request, view)

    async def has_object_permission(
        self, request: Any, view: Any, obj: Any
    ) -> bool:
        return not await self.get_async_has_obj_perm()(request, view, obj)


class AsyncBasePermissionMetaClass(
    AsyncOperandHolderMixin, drf_permissions.BasePermissionMetaclass
):
    """The metaclass that gives permission classes the async `&`, `|` and `~`."""


class AsyncBasePermission(drf_permissions.BasePermission, metaclass=AsyncBasePermissionMetaClass):
    """Base class for async permissions: override `async def has_permission` and
    `async def has_object_permission`; both grant by default, as DRF's do."""

    async def has_permission(self, request: Any, view: Any) -> bool:
        return True

    async def has_object_permission(
        self, request: Any, view: Any, obj: Any
    ) -> bool:
        return True


def is_perm_operator(permission: Any) -> bool:
    """Whether `permission` is a `&`, `|` or `~` composition (DRF's or async)."""
    return isinstance(permission, (drf_permissions.AND, drf_permissions.OR, drf_permissions.NOT))


def is_async_perm_operator(permission: Any) -> bool:
    """Whether `permission` is one of the async operators AAND, AOR or ANOT."""
    return isinstance(permission, (AAND, AOR, ANOT))


def try_convert_operator(permission: Any) -> Any:
    """A composition with every DRF operator in it replaced by its async twin.

    Operands that are not operators are kept as they are, and so is anything that
    is not a composition. An async operator is kept, its operands converted in place.
    """
    if not is_perm_operator(permission):
        return permission
    op1 = try_convert_operator(permission.op1)
    if isinstance(permission, drf_permissions.NOT):
        if isinstance(permission, ANOT):
            permission.op1 = op1
            return permission
        return ANOT(op1)
    op2 = try_convert_operator(permission.op2)
    if is_async_perm_operator(permission):
        permission.op1, permission.op2 = op1, op2
        return permission
    operator = AAND if isinstance(permission, drf_permissions.AND) else AOR
    return operator(op1, op2)
