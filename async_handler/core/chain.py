"""The middleware chain, built from settings.MIDDLEWARE and run with few thread hops.

Django nests one frame per middleware and, in async mode, hops to a thread
for every sync method (MiddlewareMixin.__acall__). Here consecutive
MiddlewareMixin-style middleware form a segment whose hooks are driven
directly: known-safe hooks run on the loop, and runs of other sync hooks go
to the request's thread together in one hop. Middleware with its own
__call__ keeps Django's nesting, adapted to its sync or async mode.

Exceptions map exactly as Django's convert_exception_to_response does per
layer: a hook that raises skips its own process_response, and the layers
outside it see the error response.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from asgiref.sync import AsyncToSync, async_to_sync, iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.exception import response_for_exception
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from ..threads import PoolThread
from .inline import Hook, Rules

if TYPE_CHECKING:
    from .handler import CoreHandler

logger = logging.getLogger("django.request")
AsyncGetResponse = Callable[[Any], Awaitable[Any]]


class Layer:
    __slots__ = ("request_hook", "response_hook")

    def __init__(self, request_hook: Hook | None, response_hook: Hook | None) -> None:
        self.request_hook = request_hook
        self.response_hook = response_hook


def _is_hook_style(middleware: type) -> bool:
    return (
        isinstance(middleware, type)
        and issubclass(middleware, MiddlewareMixin)
        and middleware.__call__ is MiddlewareMixin.__call__
        and middleware.__acall__ is MiddlewareMixin.__acall__
    )


class HookSegment:
    """Consecutive hook-style middleware, driven without a frame per layer."""

    def __init__(self, handler: CoreHandler, layers: list[Layer],
                 inner: AsyncGetResponse) -> None:
        self.handler = handler
        self.layers = layers[::-1]  # built inside-out; run outside-in
        self.inner = inner
        markcoroutinefunction(self)

    async def __call__(self, request: Any) -> Any:
        layers, handler = self.layers, self.handler
        n, i, last = len(layers), 0, len(layers) - 1
        response = None
        while i < n:
            hook = layers[i].request_hook
            if hook is None:
                i += 1
                continue
            if hook.is_async or hook.on_loop(request):
                try:
                    response = await hook.fn(request) if hook.is_async else hook.fn(request)
                except Exception as exc:
                    response, last = await handler.to_response(request, exc), i - 1
                    break
                if response is not None:
                    last = i
                    break
                i += 1
                continue
            j = i
            while j < n and not (layers[j].request_hook or _NO_HOOK).is_async:
                j += 1
            stop, response, raised = await handler.run_sync(self._request_batch, request, i, j)
            if response is not None:
                last = stop - 1 if raised else stop
                break
            i = j
        else:
            response = await self.inner(request)
        return await self._respond(request, response, last)

    def _request_batch(self, request: Any, start: int, end: int) -> tuple[int, Any, bool]:
        for k in range(start, end):
            hook = self.layers[k].request_hook
            if hook is None:
                continue
            try:
                response = hook.fn(request)
            except Exception as exc:
                return k, response_for_exception(request, exc), True
            if response is not None:
                return k, response, False
        return end, None, False

    async def _respond(self, request: Any, response: Any, k: int) -> Any:
        layers, handler = self.layers, self.handler
        while k >= 0:
            hook = layers[k].response_hook
            if hook is None:
                k -= 1
            elif hook.is_async or hook.on_loop(request, response):
                try:
                    if hook.is_async:
                        response = await hook.fn(request, response)
                    else:
                        response = hook.fn(request, response)
                except Exception as exc:
                    response = await handler.to_response(request, exc)
                k -= 1
            else:
                j = k
                while j >= 0 and not (layers[j].response_hook or _NO_HOOK).is_async:
                    j -= 1
                response = await handler.run_sync(self._response_batch, request, response, k, j)
                k = j
        return response

    def _response_batch(self, request: Any, response: Any, start: int, end: int) -> Any:
        for k in range(start, end, -1):
            hook = self.layers[k].response_hook
            if hook is not None:
                try:
                    response = hook.fn(request, response)
                except Exception as exc:
                    response = response_for_exception(request, exc)
        return response


_NO_HOOK = Hook(lambda *a: None, is_async=False, inline=True)


def _wrap_nesting(handler: CoreHandler, instance: Any) -> AsyncGetResponse:
    """Adapt a middleware with its own __call__, converting its exceptions as Django does."""
    if iscoroutinefunction(instance):
        async def call_async(request: Any) -> Any:
            try:
                return await instance(request)
            except Exception as exc:
                return await handler.to_response(request, exc)

        return call_async

    def call_sync(request: Any) -> Any:
        try:
            return instance(request)
        except Exception as exc:
            return response_for_exception(request, exc)

    async def call_in_thread(request: Any) -> Any:
        return await handler.run_parked(call_sync, request)

    return call_in_thread


def _parking(inner: AsyncGetResponse) -> Callable[[Any], Any]:
    """get_response for a sync-only middleware: block its thread on the loop, parked.

    Django's semantics need the middleware's thread blocked for the whole
    downstream chain, so that its code after get_response runs in the same
    frame. A parked thread is not counted as running, so it never takes a
    thread that sync views compute on (see threads/pool.py).

    Where the middleware runs on a parked thread with no transaction open on
    it, the chain below borrows pool threads as any request does, so it holds
    no thread while it awaits. Otherwise (an open transaction, or
    THREAD_PER_REQUEST) its sync calls come back to this thread, as under
    asgiref, so that they see that state.
    """
    bridge = async_to_sync(inner)

    async def detached(request: Any) -> Any:
        # Only this task's context: the thread blocked below gets no calls.
        AsyncToSync.executors.current = None
        return await inner(request)

    detached_bridge = async_to_sync(markcoroutinefunction(detached))

    def get_response(request: Any) -> Any:
        thread = threading.current_thread()
        if not isinstance(thread, PoolThread):
            return bridge(request)
        if thread.parker:
            if thread.pool._must_stay():
                return bridge(request)
            return detached_bridge(request)
        thread.pool.park(thread)
        try:
            return bridge(request)
        finally:
            thread.pool.unpark(thread)

    return get_response


class Chain:
    """The loaded middleware: the chain itself plus the per-view hook lists."""

    def __init__(self, handler: CoreHandler, core: AsyncGetResponse) -> None:
        rules = Rules()
        self.view_hooks: list[Hook] = []
        self.template_hooks: list[Hook] = []
        self.exception_middleware: list[Callable[..., Any]] = []
        self.wrapping: list[str] = []  # sync-only middleware that blocks a thread per request
        inner: AsyncGetResponse = core
        pending: list[Layer] = []
        for path in reversed(list(settings.MIDDLEWARE)):
            middleware = import_string(path)
            hook_style = _is_hook_style(middleware)
            if not hook_style and pending:
                inner, pending = HookSegment(handler, pending, inner), []
            get_response = inner
            if not hook_style and not getattr(middleware, "async_capable", False):
                # A sync-only middleware calls its get_response from its thread.
                get_response = _parking(inner)
                self.wrapping.append(path)
            try:
                instance = middleware(get_response)
            except MiddlewareNotUsed as exc:
                if settings.DEBUG:
                    logger.debug("MiddlewareNotUsed(%r): %s", path, exc or "")
                continue
            if instance is None:
                raise ImproperlyConfigured(f"Middleware factory {path} returned None.")
            view_hook = rules.hook(instance, "process_view")
            if view_hook is not None:
                self.view_hooks.insert(0, view_hook)
            template_hook = rules.hook(instance, "process_template_response")
            if template_hook is not None:
                self.template_hooks.append(template_hook)
            if hasattr(instance, "process_exception"):
                # Django always runs process_exception synchronously.
                self.exception_middleware.append(instance.process_exception)
            if hook_style:
                pending.append(Layer(rules.hook(instance, "process_request"),
                                     rules.hook(instance, "process_response")))
            else:
                inner = _wrap_nesting(handler, instance)
        self.entry: AsyncGetResponse = HookSegment(handler, pending, inner) if pending else inner
        self.hook_counts = (len(self.view_hooks), len(self.template_hooks))

    @property
    def sync_view_hooks(self) -> bool:
        return not any(h.is_async for h in self.view_hooks)

    @property
    def sync_template_hooks(self) -> bool:
        return not any(h.is_async for h in self.template_hooks)
