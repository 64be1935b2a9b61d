"""The innermost step of the chain: resolve the URL, run view hooks, the view, and render.

This is Django's BaseHandler._get_response_async with the thread hops
counted: a sync view, its sync process_view hooks, and the rendering of a
TemplateResponse share one hop; an async view with on-loop hooks takes none.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.handlers.base import BaseHandler

from .chain import Chain
from .inline import Hook, renders_on_loop

if TYPE_CHECKING:
    from .handler import CoreHandler


def _run_view_hooks(hooks: list[Hook], request: Any, callback: Any, args: Any, kwargs: Any) -> Any:
    for hook in hooks:
        response = hook.fn(request, callback, args, kwargs)
        if response is not None:
            return response
    return None


class ViewRunner:
    """Turns a request that passed the request middleware into a response."""

    def __init__(self, handler: CoreHandler) -> None:
        self.handler = handler
        self.chain: Chain | None = None
        markcoroutinefunction(self)

    async def __call__(self, request: Any) -> Any:
        # One coroutine, not a second one for the view's part: its frame would be held
        # for the whole life of a WebSocket view (make bench's idle-socket memory).
        try:
            handler, chain = self.handler, self.chain
            assert chain is not None
            callback, args, kwargs = handler.resolve_request(request)
            # BaseHandler's own make_view_atomic: refuses ATOMIC_REQUESTS on async views.
            wrapped: Any = BaseHandler.make_view_atomic(handler, callback)
            view_is_async = iscoroutinefunction(wrapped)
            rendered = False
            if not view_is_async and chain.sync_view_hooks:
                response, rendered = await handler.run_sync(
                    self._sync_view, request, callback, wrapped, args, kwargs
                )
            else:
                response = await self._view_hooks(request, callback, args, kwargs)
                if response is None:
                    if view_is_async:
                        try:
                            response = await wrapped(request, *args, **kwargs)
                        except Exception as exc:
                            response = await self._process_exception_async(exc, request)
                    else:
                        response, rendered = await handler.run_sync(
                            self._sync_view, request, callback, wrapped, args, kwargs, False
                        )
            if inspect.isawaitable(response):
                # A sync callable that hands back a coroutine (as API frameworks
                # wrapping an async handler do) is awaited here, on the loop.
                try:
                    response = await response
                except Exception as exc:
                    response = await self._process_exception_async(exc, request)
                rendered = False
            handler.check_response(response, callback)
            if not rendered and hasattr(response, "render") and callable(response.render):
                response = await self._render(request, response)
            return response
        except Exception as exc:
            return await self.handler.to_response(request, exc)

    async def _view_hooks(self, request: Any, callback: Any, args: Any, kwargs: Any) -> Any:
        """process_view hooks in order: on the loop where safe, else batched into one hop."""
        assert self.chain is not None
        hooks = self.chain.view_hooks
        i, n = 0, len(hooks)
        while i < n:
            hook = hooks[i]
            if hook.is_async:
                response = await hook.fn(request, callback, args, kwargs)
            elif hook.on_loop(request):
                response = hook.fn(request, callback, args, kwargs)
            else:
                j = i
                while j < n and not hooks[j].is_async:
                    j += 1
                response = await self.handler.run_sync(
                    _run_view_hooks, hooks[i:j], request, callback, args, kwargs)
                i = j - 1
            if response is not None:
                return response
            i += 1
        return None

    def _sync_view(self, request: Any, callback: Any, wrapped: Callable[..., Any],
                   args: Any, kwargs: Any, with_hooks: bool = True) -> tuple[Any, bool]:
        """Runs on the request's thread: view hooks, the view, template rendering."""
        assert self.chain is not None
        response = None
        if with_hooks:
            response = _run_view_hooks(self.chain.view_hooks, request, callback, args, kwargs)
        if response is None:
            try:
                response = wrapped(request, *args, **kwargs)
            except Exception as exc:
                response = self.process_exception(exc, request)
                if response is None:
                    raise
        if inspect.isawaitable(response):
            return response, False
        self.handler.check_response(response, callback)
        if self.chain.sync_template_hooks and hasattr(response, "render") and callable(
            response.render
        ):
            return self._render_sync(request, response), True
        return response, False

    def _render_sync(self, request: Any, response: Any) -> Any:
        assert self.chain is not None
        for hook in self.chain.template_hooks:
            response = hook.fn(request, response)
            self._check_template(response, hook)
        try:
            return response.render()
        except Exception as exc:
            response = self.process_exception(exc, request)
            if response is None:
                raise
            return response

    async def _render(self, request: Any, response: Any) -> Any:
        assert self.chain is not None
        if not self.chain.template_hooks and renders_on_loop(response):
            try:
                return response.render()
            except Exception as exc:
                return await self._process_exception_async(exc, request)
        if self.chain.sync_template_hooks and not iscoroutinefunction(response.render):
            return await self.handler.run_sync(self._render_sync, request, response)
        for hook in self.chain.template_hooks:
            if hook.is_async:
                response = await hook.fn(request, response)
            else:
                response = await self.handler.run_sync(hook.fn, request, response)
            self._check_template(response, hook)
        try:
            if iscoroutinefunction(response.render):
                return await response.render()
            return await self.handler.run_sync(response.render)
        except Exception as exc:
            return await self._process_exception_async(exc, request)

    def _check_template(self, response: Any, hook: Hook) -> None:
        owner = getattr(hook.fn, "__self__", None)
        name = f"{type(owner).__name__}.process_template_response"
        self.handler.check_response(response, hook.fn, name=name)

    def process_exception(self, exc: Exception, request: Any) -> Any:
        """Django's process_exception_by_middleware, over this chain's hooks."""
        assert self.chain is not None
        for method in self.chain.exception_middleware:
            response = method(request, exc)
            if response:
                return response
        return None

    async def _process_exception_async(self, exc: Exception, request: Any) -> Any:
        assert self.chain is not None
        response = None
        if self.chain.exception_middleware:
            response = await self.handler.run_sync(self.process_exception, exc, request)
        if response is None:
            raise exc
        return response
