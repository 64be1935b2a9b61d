"""Authentication, permission and throttle checks as steps of a `Plan`.

Each function appends the same checks, in the same order and with the same
exceptions, as DRF's `Request._authenticate`, `APIView.check_permissions`,
`check_object_permissions` and `check_throttles`; the plan decides where they run.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from rest_framework import exceptions
from rest_framework.request import ForcedAuthentication

from . import permissions as perms
from ._util import is_async
from .plan import Kind, Plan


def _decided(request: Any) -> bool:
    # `_authenticator` is set (possibly to None) once some authenticator answered
    # or all declined; read the instance dict, since Request proxies unknown
    # attributes to the Django request.
    return "_authenticator" in vars(request)


def _accept(request: Any, authenticator: Any, result: Any) -> None:
    if result is not None:
        request._authenticator = authenticator
        request.user, request.auth = result


def _authenticate_sync(request: Any, authenticator: Any) -> None:
    if _decided(request):
        return
    try:
        result = authenticator.authenticate(request)
    except exceptions.APIException:
        request._not_authenticated()
        raise
    _accept(request, authenticator, result)


async def _authenticate_async(request: Any, authenticator: Any) -> None:
    if _decided(request):
        return
    try:
        result = await authenticator.authenticate(request)
    except exceptions.APIException:
        request._not_authenticated()
        raise
    _accept(request, authenticator, result)


def _finish_authentication(request: Any) -> None:
    if not _decided(request):
        request._not_authenticated()


def plan_authentication(plan: Plan, request: Any) -> None:
    """Try each authenticator in turn; the first non-None answer wins, as in DRF."""
    if "_user" in vars(request):
        return
    for authenticator in request.authenticators:
        if is_async(authenticator.authenticate):
            plan.add_async(partial(_authenticate_async, request, authenticator))
        else:
            # Forced test credentials need no I/O; every other sync authenticator may.
            kind = Kind.INLINE if type(authenticator) is ForcedAuthentication else Kind.SYNC
            plan.add(kind, partial(_authenticate_sync, request, authenticator))
    plan.add(Kind.INLINE, partial(_finish_authentication, request))


def _deny(view: Any, request: Any, permission: Any) -> None:
    view.permission_denied(
        request,
        message=getattr(permission, "message", None),
        code=getattr(permission, "code", None),
    )


def _check_sync(view: Any, request: Any, permission: Any, method: str, obj: Any) -> None:
    if not perms.evaluate(permission, method, request, view, obj):
        _deny(view, request, permission)


async def _check_async(view: Any, request: Any, permission: Any, method: str, obj: Any) -> None:
    if not await perms.aevaluate(permission, method, request, view, obj):
        _deny(view, request, permission)


def _plan_permission_method(
    plan: Plan, view: Any, request: Any, method: str, obj: Any, permissions: Any
) -> None:
    for permission in view.get_permissions() if permissions is None else permissions:
        kind = perms.kind_of(permission, method)
        if kind is Kind.ASYNC:
            plan.add_async(partial(_check_async, view, request, permission, method, obj))
        else:
            plan.add(kind, partial(_check_sync, view, request, permission, method, obj))


def plan_permissions(plan: Plan, view: Any, request: Any, permissions: Any = None) -> None:
    """Check `permissions` (by default the view's) in order; the first refusal raises."""
    _plan_permission_method(plan, view, request, perms.HAS_PERMISSION, None, permissions)


def plan_object_permissions(
    plan: Plan, view: Any, request: Any, obj: Any, permissions: Any = None
) -> None:
    _plan_permission_method(plan, view, request, perms.HAS_OBJECT_PERMISSION, obj, permissions)


def _throttle_sync(view: Any, request: Any, throttle: Any, waits: list[Any]) -> None:
    if not throttle.allow_request(request, view):
        waits.append(throttle.wait())


async def _throttle_async(view: Any, request: Any, throttle: Any, waits: list[Any]) -> None:
    if not await throttle.allow_request(request, view):
        wait = throttle.wait()
        waits.append(await wait if is_async(throttle.wait) else wait)


def _raise_if_throttled(view: Any, request: Any, waits: list[Any]) -> None:
    if waits:
        # Every throttle is consulted, as DRF does, so each records the request;
        # None waits come from rate changes (encode/django-rest-framework#1438).
        view.throttled(request, max((w for w in waits if w is not None), default=None))


def plan_throttle_waits(
    plan: Plan, view: Any, request: Any, throttles: Any, waits: list[Any]
) -> None:
    """Consult every throttle; each refusal appends its `wait()` to `waits`."""
    for throttle in throttles:
        if is_async(throttle.allow_request):
            plan.add_async(partial(_throttle_async, view, request, throttle, waits))
        else:
            plan.add(Kind.SYNC, partial(_throttle_sync, view, request, throttle, waits))


def plan_throttles(plan: Plan, view: Any, request: Any) -> None:
    waits: list[Any] = []
    plan_throttle_waits(plan, view, request, view.get_throttles(), waits)
    plan.add(Kind.INLINE, partial(_raise_if_throttled, view, request, waits))
