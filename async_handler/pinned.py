"""One request's executor and the pool thread that serves it, for pool.py.

A request's calls run in order on the one thread it was given; the thread runs
the pool's bind hook before the first call of each new request and pays the
release hook it owes (DB housekeeping) at rebind or when the pool settles it.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .pool import ThreadPool

_RELEASE = object()
_SETTLE = object()
_STOP = object()


class PinnedExecutor(Executor):
    """One request's executor: every call runs, in order, on one pool thread."""

    __slots__ = ("_pool", "_worker", "_pending", "_requested", "_shutdown", "_lock",
                 "_submitted", "_done")

    def __init__(self, pool: ThreadPool) -> None:
        self._pool = pool
        self._worker: _Worker | None = None
        self._pending: list[Any] = []
        self._requested = False
        self._shutdown = False
        self._lock = threading.Lock()
        self._submitted = 0
        self._done = 0

    @property
    def bound(self) -> bool:
        """Whether the request has taken a thread (and so may own DB state)."""
        return self._requested

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        item = (future, fn, args, kwargs, self)
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after the request has ended")
            self._submitted += 1
            worker = self._worker
            if worker is not None:
                worker.queue.put(item)
                return future
            self._pending.append(item)
            first = not self._requested
            self._requested = True
        if first:
            self._pool._acquire(self)
        return future

    def _bind(self, worker: _Worker) -> None:
        with self._lock:
            self._worker = worker
            for item in self._pending:
                worker.queue.put(item)
            self._pending.clear()
            if self._shutdown:
                worker.queue.put(_RELEASE)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Give the thread back once the work already submitted has run."""
        with self._lock:
            if self._shutdown:
                return
            self._shutdown = True
            worker = self._worker
            if worker is None:
                return
            if self._done != self._submitted:
                worker.queue.put(_RELEASE)
                return
        # Every call has returned, so the thread is waiting for work: hand it
        # on from here instead of waking it to do so. Its release hook runs
        # before its next request, or when the pool settles idle threads.
        self._pool._release(worker, settled=False)


class _Worker(threading.Thread):
    def __init__(self, pool: ThreadPool, index: int) -> None:
        super().__init__(name=f"{pool.name}_{index}", daemon=True)
        self.pool = pool
        self.queue: SimpleQueue[Any] = SimpleQueue()
        self.unsettled = False  # released from the loop; release hook still owed

    def run(self) -> None:
        pool = self.pool
        current: PinnedExecutor | None = None  # whose calls this thread last ran
        owed = False  # on_release has not run since on_bind
        while True:
            item = self.queue.get()
            if item is _STOP:
                if owed:
                    pool._run_hook(pool.on_release)
                pool._run_hook(pool.on_stop)
                return
            if item is _SETTLE or item is _RELEASE:
                if owed:
                    pool._run_hook(pool.on_release)
                    owed = False
                current = None
                if item is _RELEASE:
                    nxt = pool._release(self, settled=True)
                    if nxt is not None:
                        nxt._bind(self)
                continue
            future, fn, args, kwargs, owner = item
            if owner is not current:
                # An owed release hook directly followed by the bind hook is
                # left to on_rebind, which may do both jobs at once.
                pool._run_hook(pool.on_rebind if owed else pool.on_bind)
                current, owed = owner, True
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    owner._done += 1
                    future.set_exception(exc)
                    del exc
                else:
                    owner._done += 1
                    future.set_result(result)
            else:
                owner._done += 1
            del item, future, fn, args, kwargs, owner
