"""Small helpers shared by the DRF layer: detecting async callables and crossing to a thread.

Every crossing from the event loop to sync code goes through `run_sync`, which goes
where asgiref's thread-sensitive `sync_to_async` would: under async_handler's worker
to the thread pinned to the current request (by the handler's lighter hop, see
async_handler/core/hop.py), under Django's ASGI handler to the request's thread-sensitive
executor, and under WSGI to the calling thread.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from asgiref.sync import async_to_sync, iscoroutinefunction

from ..core import hop

T = TypeVar("T")


def is_async(fn: Any) -> bool:
    """Whether calling `fn` returns a coroutine (async def, or marked as one)."""
    return fn is not None and iscoroutinefunction(fn)


def on_event_loop() -> bool:
    """Whether this thread is running an event loop, so sync I/O here would block it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def run_sync(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a sync callable off the loop, on the current request's thread."""
    if kwargs:
        fn = functools.partial(fn, **kwargs)
    result: T = await hop.run_sync(fn, *args)
    return result


async def call(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Await `fn` if it is async, else run it off the loop in one hop."""
    if is_async(fn):
        return await fn(*args, **kwargs)
    return await run_sync(fn, *args, **kwargs)


def call_blocking(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """From sync code (never the loop's thread): call `fn`, driving it if it is async."""
    if is_async(fn):
        return async_to_sync(fn)(*args, **kwargs)
    return fn(*args, **kwargs)


def overrides(obj: Any, name: str, base: type) -> bool:
    """Whether `obj`'s class replaces `base`'s attribute `name` (a user override)."""
    return getattr(type(obj), name, None) is not getattr(base, name, None)


class LazyAwaitable:
    """An awaitable that creates its coroutine only when awaited.

    Returned where an attribute must be awaitable (`serializer.adata`) so that
    merely reading the attribute, as introspection does, never leaves an
    un-awaited coroutine behind.
    """

    __slots__ = ("_factory", "awaited")

    def __init__(self, factory: Callable[[], Awaitable[Any]]) -> None:
        self._factory = factory
        self.awaited = False

    def __await__(self) -> Any:
        self.awaited = True
        return self._factory().__await__()
