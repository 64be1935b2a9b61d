"""How a permission, or a `&`/`|`/`~` composition of them, is evaluated, and where.

`kind_of` says whether a check may run inline, needs a thread hop, or has an async
leaf; `aevaluate` runs it from the loop and `evaluate` from sync code. Both walk
compositions themselves, with DRF's semantics, instead of asking the operator.
"""

from __future__ import annotations

from typing import Any

from rest_framework import permissions as drf_permissions
from rest_framework.permissions import (
    AllowAny,
    BasePermission,
    IsAdminUser,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
)

from ._util import call_blocking, is_async, run_sync
from .plan import Kind

HAS_PERMISSION = "has_permission"
HAS_OBJECT_PERMISSION = "has_object_permission"

# Built-ins whose has_permission only reads request.method and attributes of the
# already-authenticated request.user: no I/O, so no thread hop. Exact types only,
# since a subclass may add I/O.
_PURE_HAS_PERMISSION = frozenset(
    {AllowAny, IsAuthenticated, IsAdminUser, IsAuthenticatedOrReadOnly}
)


def _operands(permission: Any) -> tuple[Any, ...] | None:
    if isinstance(permission, (drf_permissions.AND, drf_permissions.OR)):
        return (permission.op1, permission.op2)
    if isinstance(permission, drf_permissions.NOT):
        return (permission.op1,)
    return None


def _leaf_kind(permission: Any, method: str) -> Kind:
    fn = getattr(permission, method)
    if is_async(fn):
        return Kind.ASYNC
    if method == HAS_PERMISSION and type(permission) in _PURE_HAS_PERMISSION:
        return Kind.INLINE
    if method == HAS_OBJECT_PERMISSION and (
        getattr(type(permission), method, None) is BasePermission.has_object_permission
    ):
        return Kind.INLINE  # BasePermission's default just returns True.
    return Kind.SYNC


def kind_of(permission: Any, method: str) -> Kind:
    """ASYNC if any leaf is async, else SYNC if any leaf may block, else INLINE."""
    operands = _operands(permission)
    if operands is None:
        return _leaf_kind(permission, method)
    # OR's object check also consults its operands' has_permission.
    methods = (HAS_PERMISSION, method) if isinstance(permission, drf_permissions.OR) else (method,)
    kinds = {kind_of(op, m) for op in operands for m in methods}
    for kind in (Kind.ASYNC, Kind.SYNC):
        if kind in kinds:
            return kind
    return Kind.INLINE


def _args(request: Any, view: Any, obj: Any, method: str) -> tuple[Any, ...]:
    return (request, view) if method == HAS_PERMISSION else (request, view, obj)


async def aevaluate(permission: Any, method: str, request: Any, view: Any, obj: Any = None) -> bool:
    """Evaluate one permission (or composition) on the loop, hopping only for sync parts."""
    kind = kind_of(permission, method)
    if kind is Kind.INLINE:
        return evaluate(permission, method, request, view, obj)
    if kind is Kind.SYNC:
        return bool(await run_sync(evaluate, permission, method, request, view, obj))
    operands = _operands(permission)
    if operands is None:
        return bool(await getattr(permission, method)(*_args(request, view, obj, method)))
    if isinstance(permission, drf_permissions.NOT):
        return not await aevaluate(operands[0], method, request, view, obj)
    if isinstance(permission, drf_permissions.AND):
        return await aevaluate(operands[0], method, request, view, obj) and await aevaluate(
            operands[1], method, request, view, obj
        )
    for operand in operands:  # OR
        # DRF's semantics since 3.14: an operand grants object access only if it
        # also grants view access (encode/django-rest-framework#6402).
        if method == HAS_OBJECT_PERMISSION and not await aevaluate(
            operand, HAS_PERMISSION, request, view
        ):
            continue
        if await aevaluate(operand, method, request, view, obj):
            return True
    return False


def evaluate(permission: Any, method: str, request: Any, view: Any, obj: Any = None) -> bool:
    """The same evaluation from sync code (off the loop); async leaves are driven.

    Compositions are walked here rather than asked, so neither an async operator
    (AAND, AOR, ANOT) nor a sync operator over an async leaf can answer with an
    unawaited coroutine, which would be truthy.
    """
    operands = _operands(permission)
    if operands is None:
        return bool(call_blocking(getattr(permission, method), *_args(request, view, obj, method)))
    if isinstance(permission, drf_permissions.NOT):
        return not evaluate(operands[0], method, request, view, obj)
    if isinstance(permission, drf_permissions.AND):
        return evaluate(operands[0], method, request, view, obj) and evaluate(
            operands[1], method, request, view, obj
        )
    return any(  # OR, with the object semantics described in aevaluate
        (method == HAS_PERMISSION or evaluate(operand, HAS_PERMISSION, request, view))
        and evaluate(operand, method, request, view, obj)
        for operand in operands
    )
