"""The handler's own hops to the request's thread: asgiref's sync_to_async, made lighter.

Each sync view costs one hop. sync_to_async spends about as much on
bookkeeping (a shielded future, partials, the exception context) as the
hop itself; measured with `make bench`, doing only what the handler's calls
need cut a sync view's CPU per request by roughly a tenth. What it keeps is
what matters for Django: the same thread choice as sync_to_async (an
enclosing AsyncToSync's thread first, else the request's pinned executor),
context variables and asgiref Locals carried over and back with asgiref's
own _restore_context, and the loop made known to nested async_to_sync.
Anything else (calls from inside an except block, which need sys.exc_info()
in the thread, or an asgiref without _restore_context) goes through
sync_to_async itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from typing import Any, Callable

from asgiref.sync import AsyncToSync, SyncToAsync, sync_to_async

try:
    from asgiref.sync import _restore_context
except ImportError:  # pragma: no cover - a future asgiref
    _restore_context = None  # type: ignore[assignment]


async def run_sync(fn: Callable[..., Any], *args: Any) -> Any:
    """Run sync `fn(*args)` where sync_to_async(fn, thread_sensitive=True) would."""
    executor = getattr(AsyncToSync.executors, "current", None)
    if executor is None:
        context_key = SyncToAsync.thread_sensitive_context.get(None)
        executor = SyncToAsync.context_to_thread_executor.get(context_key) if context_key else None
    if executor is None or _restore_context is None or sys.exc_info()[0] is not None:
        return await sync_to_async(fn, thread_sensitive=True)(*args)
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    restore = _restore_context

    def child() -> Any:
        SyncToAsync.threadlocal.main_event_loop = loop
        restore(context)
        return fn(*args)

    try:
        return await loop.run_in_executor(executor, context.run, child)
    finally:
        restore(context)
