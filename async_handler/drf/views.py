"""APIView whose `async def` handlers are awaited, with DRF's full request cycle around them.

Before the handler: content negotiation and versioning inline, then authentication,
permissions and throttles as one `Plan` (async classes awaited, sync ones sharing
one thread hop). After it: DRF's exception handler in one hop, then
`finalize_response`. A class with only sync handlers dispatches exactly as DRF does.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseBase
from django.utils.functional import classproperty
from rest_framework.permissions import BasePermission  # noqa: F401  (adrf's re-exports)
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request  # noqa: F401
from rest_framework.throttling import BaseThrottle  # noqa: F401
from rest_framework.views import APIView as DRFAPIView

from ..core.inline import INLINE_RENDERERS
from ._util import LazyAwaitable, call, is_async, on_event_loop, overrides, run_sync
from .permissions import try_convert_operator  # noqa: F401  (adrf's re-export)
from .plan import Kind, Plan
from .policies import (
    plan_authentication,
    plan_object_permissions,
    plan_permissions,
    plan_throttle_waits,
    plan_throttles,
)
from .requests import AsyncRequest


def _has_async_handler(view: Any) -> bool:
    return any(
        is_async(getattr(view, method, None))
        for method in view.http_method_names
        if method != "options"
    )


# json.dumps of already-serialized data: no I/O, so the handler may render it
# on the loop instead of hopping to a thread for it.
INLINE_RENDERERS.add(JSONRenderer)


class APIView(DRFAPIView):
    """`rest_framework.views.APIView`, with async handlers and async policy classes."""

    @classproperty
    def view_is_async(cls) -> bool:
        # Django refuses classes that mix sync and async handlers; here the view is
        # async if any handler is, and sync handlers run in a thread hop.
        return _has_async_handler(cls)

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> AsyncRequest:
        return AsyncRequest(
            request,
            parsers=self.get_parsers(),
            authenticators=self.get_authenticators(),
            negotiator=self.get_content_negotiator(),
            parser_context=self.get_parser_context(request),
        )

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # `as_view` marked the view async from the same handlers, so Django awaits
        # exactly when this returns a coroutine.
        if _has_async_handler(self):
            return self.async_dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def sync_dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """DRF's own dispatch (adrf's name for it)."""
        return super().dispatch(request, *args, **kwargs)

    async def async_dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """DRF's dispatch with every blocking step off the loop."""
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        self._permission_checks: list[LazyAwaitable] = []
        try:
            await self.ainitial(request, *args, **kwargs)
            response = await self._call_handler(request, *args, **kwargs)
            self._ensure_checks_awaited()
        except Exception as exc:  # noqa: BLE001  (as DRF: every error goes to the handler)
            response = await self.ahandle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    async def _call_handler(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        method = request.method.lower()
        handler = getattr(self, method, None) if method in self.http_method_names else None
        if handler is None:
            if overrides(self, "http_method_not_allowed", DRFAPIView):
                return await call(self.http_method_not_allowed, request, *args, **kwargs)
            return self.http_method_not_allowed(request, *args, **kwargs)  # raises at once
        if is_async(handler):
            return await handler(request, *args, **kwargs)
        return await run_sync(handler, request, *args, **kwargs)

    async def ainitial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        """`initial()` for async dispatch; a user's own `initial()` is honoured."""
        if overrides(self, "initial", DRFAPIView):
            await call(self.initial, request, *args, **kwargs)
            return
        # Negotiation and versioning read headers and the URL only.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        negotiated = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = negotiated
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        plan = Plan()
        if overrides(self, "perform_authentication", DRFAPIView):
            self._plan_override(plan, self.perform_authentication, request)
        # Even after an override that defers authentication (DRF's lazy pattern), the
        # user is resolved here, off the loop: touching `request.user` later on the
        # loop would authenticate synchronously there. No-op once authenticated.
        plan_authentication(plan, request)
        if overrides(self, "check_permissions", APIView):
            self._plan_override(plan, self.check_permissions, request)
        else:
            plan_permissions(plan, self, request)
        if overrides(self, "check_throttles", APIView):
            self._plan_override(plan, self.check_throttles, request)
        else:
            plan_throttles(plan, self, request)
        await plan.run()

    @staticmethod
    def _plan_override(plan: Plan, hook: Any, request: Any) -> None:
        if is_async(hook):
            plan.add_async(partial(hook, request))
        else:
            plan.add(Kind.SYNC, partial(hook, request))

    async def ahandle_exception(self, exc: Exception) -> Any:
        """Run `handle_exception`, and so the project's EXCEPTION_HANDLER, off the loop."""
        return await call(self.handle_exception, exc)

    # Awaitable checks.

    async def acheck_permissions(self, request: Any) -> None:
        await self._permission_plan(request).run()

    async def acheck_object_permissions(self, request: Any, obj: Any) -> None:
        await self._permission_plan(request, obj, objects=True).run()

    async def acheck_throttles(self, request: Any) -> None:
        plan = Plan()
        plan_throttles(plan, self, request)
        await plan.run()

    # The sync checks serve sync handlers, OPTIONS metadata, the browsable API and
    # schema generation. Called on the loop (from an async handler) the permission
    # checks return an awaitable instead: `await self.check_object_permissions(...)`
    # works where adrf raises RuntimeError, and a forgotten `await` fails the request.

    def check_permissions(self, request: Any) -> Any:
        if on_event_loop():
            return self._pending_check(lambda: self.acheck_permissions(request))
        self._permission_plan(request).run_blocking()
        return None

    def check_object_permissions(self, request: Any, obj: Any) -> Any:
        if on_event_loop():
            return self._pending_check(lambda: self.acheck_object_permissions(request, obj))
        self._permission_plan(request, obj, objects=True).run_blocking()
        return None

    def check_throttles(self, request: Any) -> None:
        plan = Plan()
        plan_throttles(plan, self, request)
        plan.run_blocking()

    def _permission_plan(
        self, request: Any, obj: Any = None, *, objects: bool = False, permissions: Any = None
    ) -> Plan:
        plan = Plan()
        if objects:
            plan_object_permissions(plan, self, request, obj, permissions)
        else:
            plan_permissions(plan, self, request, permissions)
        return plan

    # adrf's names for checking a given list of policy instances. Either kind may be
    # passed to either method: async ones are awaited, sync ones run off the loop.

    async def check_async_permissions(self, request: Any, permissions: Any) -> None:
        await self._permission_plan(request, permissions=permissions).run()

    def check_sync_permissions(self, request: Any, permissions: Any) -> None:
        self._permission_plan(request, permissions=permissions).run_blocking()

    async def check_async_object_permissions(
        self, request: Any, permissions: Any, obj: Any
    ) -> None:
        await self._permission_plan(request, obj, objects=True, permissions=permissions).run()

    def check_sync_object_permissions(self, request: Any, permissions: Any, obj: Any) -> None:
        plan = self._permission_plan(request, obj, objects=True, permissions=permissions)
        plan.run_blocking()

    async def check_async_throttles(self, request: Any, throttles: Any) -> list[Any]:
        """Consult every throttle; the waits of those that refused (adrf's name)."""
        waits: list[Any] = []
        plan = Plan()
        plan_throttle_waits(plan, self, request, throttles, waits)
        await plan.run()
        return waits

    def check_sync_throttles(self, request: Any, throttles: Any) -> list[Any]:
        waits: list[Any] = []
        plan = Plan()
        plan_throttle_waits(plan, self, request, throttles, waits)
        plan.run_blocking()
        return waits

    def _pending_check(self, factory: Any) -> LazyAwaitable:
        check = LazyAwaitable(factory)
        self.__dict__.setdefault("_permission_checks", []).append(check)
        return check

    def _ensure_checks_awaited(self) -> None:
        if any(not check.awaited for check in self._permission_checks):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: check_permissions() or check_object_permissions() "
                "was called in an async handler without `await`, so the permission was "
                "never checked. Write `await self.check_object_permissions(request, obj)`."
            )
