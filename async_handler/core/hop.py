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
import weakref
from collections import deque
from concurrent.futures import Executor, Future
from typing import Any, Callable

from asgiref.sync import AsyncToSync, SyncToAsync, sync_to_async

try:
    from asgiref.sync import _restore_context
except ImportError:  # pragma: no cover - a future asgiref
    _restore_context = None  # type: ignore[assignment]

_local = SyncToAsync.threadlocal
_pid = [os.getpid()]  # what asgiref compares with main_event_loop_pid; a syscall per hop otherwise
os.register_at_fork(after_in_child=lambda: _pid.__setitem__(0, os.getpid()))


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


class _Inbox:
    """Results of pool-thread calls for one loop: one wake-up of the loop delivers them all.

    Each call_soon_threadsafe writes to the loop's self-pipe and costs the loop
    a read; when several threads finish close together, one is enough.
    """

    __slots__ = ("loop", "items", "scheduled", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: deque[tuple[_Handoff, Any, BaseException | None]] = deque()
        self.scheduled = False

    def put(self, handoff: _Handoff, result: Any, exc: BaseException | None) -> None:
        """On a pool thread: queue the outcome, waking the loop unless a wake-up is pending."""
        self.items.append((handoff, result, exc))
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        # Cleared first: a thread that queues after this line wakes the loop again.
        self.scheduled = False
        items = self.items
        while items:
            handoff, result, exc = items.popleft()
            handoff._deliver(result, exc)


_inboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Inbox] = (
    weakref.WeakKeyDictionary())


def _inbox(loop: asyncio.AbstractEventLoop) -> _Inbox:
    inbox = _inboxes.get(loop)
    if inbox is None:
        inbox = _inboxes[loop] = _Inbox(loop)
    return inbox


class _Handoff:
    """The result of one call on a pool thread, handed to the loop without a concurrent Future.

    Our own executors take it in place of a Future (RequestExecutor.enqueue):
    the thread sets it and the loop picks the outcome up, which spares each hop
    a Future, its Condition and a done-callback. The outcome is kept, so a
    waiter that was cancelled can wait again for the call to finish.
    """

    __slots__ = ("loop", "inbox", "target", "outcome")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.inbox = _inbox(loop)
        self.target: asyncio.Future[Any] = loop.create_future()
        self.outcome: tuple[Any, BaseException | None] | None = None

    def set_running_or_notify_cancel(self) -> bool:
        return True

    def set_result(self, result: Any) -> None:
        self.inbox.put(self, result, None)

    def set_exception(self, exc: BaseException) -> None:
        self.inbox.put(self, None, exc)

    def _deliver(self, result: Any, exc: BaseException | None) -> None:
        self.outcome = (result, exc)
        if not self.target.done():
            if exc is None:
                self.target.set_result(result)
            else:
                self.target.set_exception(exc)

    def wait_again(self) -> asyncio.Future[Any]:
        self.target = self.loop.create_future()
        if self.outcome is not None:
            self._deliver(*self.outcome)
        return self.target


class _Nested(list["asyncio.Task[Any]"]):
    """The task of a nested async_to_sync while it runs (asgiref appends and removes it).

    Once the request is cancelled, a task the thread starts afterwards (its
    call had not reached async_to_sync yet) is cancelled as it starts, as one
    already running is: otherwise it would run its whole course, holding the
    thread, after the request has ended.
    """

    cancelled = False

    def append(self, task: asyncio.Task[Any]) -> None:
        super().append(task)
        if self.cancelled:
            task.cancel()


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
    tasks = _Nested()  # a nested async_to_sync's task, while it runs

    def child() -> Any:
        saved = (getattr(_local, "main_event_loop", None),
                 getattr(_local, "main_event_loop_pid", None),
                 getattr(_local, "task_context", None))
        _local.main_event_loop = loop
        _local.main_event_loop_pid = _pid[0]
        _local.task_context = tasks
        restore(context)
        try:
            return fn(*args)
        finally:
            _local.main_event_loop, _local.main_event_loop_pid, _local.task_context = saved

    enqueue = getattr(executor, "enqueue", None)
    handoff: _Handoff | None = None
    if enqueue is not None:
        handoff = _Handoff(loop)
        enqueue(handoff, context.run, child)
        waiting = handoff.target
    else:
        call = executor.submit(context.run, child)
        waiting = _waiter(loop, call)
    try:
        return await waiting
    except asyncio.CancelledError:
        tasks.cancelled = True  # and so is any nested task the call starts from now on
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
            tasks.cancelled = False
            # The nested code chose to finish: so does the call.
            return await (handoff.wait_again() if handoff else _waiter(loop, call))
        raise
    finally:
        restore(context)
