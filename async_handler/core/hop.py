"""The handler's own hops to a pool thread: asgiref's sync_to_async, made lighter.

Each sync view costs one hop. sync_to_async spends about as much on
bookkeeping (a shielded future, partials, the exception context) as the
hop itself; measured with `make bench`, doing only what the handler's calls
need cut a sync view's CPU per request by roughly a tenth.

What it keeps is everything Django relies on:
- the same thread choice as sync_to_async: an enclosing AsyncToSync's
  thread first, else the request's executor;
- context variables and asgiref Locals carried over and back with asgiref's
  own _restore_context;
- the loop, its pid and the task list made known to a nested async_to_sync,
  so that code the thread sends back to the loop runs on this worker's loop
  (not a private one in another thread) and is cancelled with the request.

Anything else (calls from inside an except block, which need sys.exc_info()
in the thread, or an asgiref without _restore_context) goes through
sync_to_async itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
from concurrent.futures import Executor, Future
from typing import Any, Callable

from asgiref.sync import AsyncToSync, SyncToAsync, sync_to_async

try:
    from asgiref.sync import _restore_context
except ImportError:  # pragma: no cover - a future asgiref
    _restore_context = None  # type: ignore[assignment]

_local = SyncToAsync.threadlocal


def _settle(target: asyncio.Future[Any], source: Future[Any]) -> None:
    if target.cancelled():
        return
    if source.cancelled():
        target.cancel()
        return
    exc = source.exception()
    if exc is None:
        target.set_result(source.result())
    else:
        target.set_exception(exc)


def _waiter(loop: asyncio.AbstractEventLoop, source: Future[Any]) -> asyncio.Future[Any]:
    """An asyncio future for `source` whose cancellation leaves `source` running.

    asyncio.wrap_future would try to cancel the call; a call already running
    on its thread cannot be, and its nested task is cancelled explicitly.
    """
    target = loop.create_future()
    source.add_done_callback(lambda f: loop.call_soon_threadsafe(_settle, target, f))
    return target


async def run_sync(fn: Callable[..., Any], *args: Any) -> Any:
    """Run sync `fn(*args)` where sync_to_async(fn, thread_sensitive=True) would."""
    executor = getattr(AsyncToSync.executors, "current", None)
    if executor is None:
        context_key = SyncToAsync.thread_sensitive_context.get(None)
        executor = SyncToAsync.context_to_thread_executor.get(context_key) if context_key else None
    if executor is None or _restore_context is None or sys.exc_info()[0] is not None:
        return await sync_to_async(fn, thread_sensitive=True)(*args)
    return await run_in(executor, fn, *args)


async def run_in(executor: Executor, fn: Callable[..., Any], *args: Any) -> Any:
    """Run sync `fn(*args)` on `executor`, set up as sync_to_async sets up its thread."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    restore = _restore_context
    tasks: list[asyncio.Task[Any]] = []  # a nested async_to_sync's task, while it runs

    def child() -> Any:
        saved = (getattr(_local, "main_event_loop", None),
                 getattr(_local, "main_event_loop_pid", None),
                 getattr(_local, "task_context", None))
        _local.main_event_loop = loop
        _local.main_event_loop_pid = os.getpid()
        _local.task_context = tasks
        restore(context)
        try:
            return fn(*args)
        finally:
            _local.main_event_loop, _local.main_event_loop_pid, _local.task_context = saved

    call = executor.submit(context.run, child)
    try:
        return await _waiter(loop, call)
    except asyncio.CancelledError:
        if not tasks:
            raise  # a plain sync call cannot be interrupted; it finishes on its own
        # The thread is waiting on code it sent back to the loop (a sync
        # middleware wrapping the chain): cancel that, as sync_to_async does,
        # and let the thread unwind through the middleware.
        nested = tasks[0]
        nested.cancel()
        try:
            await nested
        except asyncio.CancelledError:
            pass
        else:
            return await _waiter(loop, call)  # the nested code chose to finish
        raise
    finally:
        restore(context)
