"""A bounded thread pool whose threads are pinned to one request at a time.

Django's ASGI handler gives every request a fresh one-thread executor so that
a request's sync work stays on one thread (asgiref's ThreadSensitiveContext).
That costs a thread start per request and leaks persistent DB connections,
because each short-lived thread opens its own (Django ticket #33497).

Here a request borrows a long-lived thread the first time it needs one and
keeps it until the request ends, so thread sensitivity holds, CONN_MAX_AGE
connections are reused, and requests that never touch sync code never take
a thread at all.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Executor, Future
from queue import SimpleQueue
from typing import Any, Callable

_RELEASE = object()
_STOP = object()


class PinnedExecutor(Executor):
    """One request's executor: every call runs, in order, on one pool thread."""

    __slots__ = ("_pool", "_worker", "_pending", "_requested", "_shutdown", "_lock")

    def __init__(self, pool: ThreadPool) -> None:
        self._pool = pool
        self._worker: _Worker | None = None
        self._pending: list[Any] = []
        self._requested = False
        self._shutdown = False
        self._lock = threading.Lock()

    @property
    def bound(self) -> bool:
        """Whether the request has taken a thread (and so may own DB state)."""
        return self._requested

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        item = (future, fn, args, kwargs)
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after the request has ended")
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
            if self._worker is not None:
                self._worker.queue.put(_RELEASE)


class _Worker(threading.Thread):
    def __init__(self, pool: ThreadPool, index: int) -> None:
        super().__init__(name=f"{pool.name}_{index}", daemon=True)
        self.pool = pool
        self.queue: SimpleQueue[Any] = SimpleQueue()

    def run(self) -> None:
        pool = self.pool
        fresh = True
        while True:
            item = self.queue.get()
            if item is _STOP:
                pool._run_hook(pool.on_stop)
                return
            if item is _RELEASE:
                pool._run_hook(pool.on_release)
                fresh = True
                nxt = pool._release(self)
                if nxt is not None:
                    nxt._bind(self)
                continue
            if fresh:
                pool._run_hook(pool.on_bind)
                fresh = False
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
                del exc
            else:
                future.set_result(result)
            del item, future, fn, args, kwargs


class ThreadPool:
    """Up to `size` threads, each serving one request's PinnedExecutor at a time.

    Requests that find every thread taken wait in arrival order. The hooks run
    on the pool thread: on_bind before a request's first call, on_release after
    its last, and on_stop when the pool shuts down.
    """

    def __init__(
        self,
        size: int,
        *,
        name: str = "async_handler",
        on_bind: Callable[[], None] | None = None,
        on_release: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("the thread pool needs at least one thread")
        self.size = size
        self.name = name
        self.on_bind = on_bind
        self.on_release = on_release
        self.on_stop = on_stop
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._waiting: deque[PinnedExecutor] = deque()
        self._closed = False

    def executor(self) -> PinnedExecutor:
        return PinnedExecutor(self)

    @property
    def threads(self) -> int:
        return len(self._workers)

    @property
    def busy(self) -> int:
        """Threads currently pinned to a request."""
        with self._lock:
            return len(self._workers) - len(self._idle)

    @property
    def queued(self) -> int:
        """Requests waiting for a free thread."""
        return len(self._waiting)

    def _acquire(self, executor: PinnedExecutor) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the thread pool is shut down")
            if self._idle:
                worker = self._idle.pop()
            elif len(self._workers) < self.size:
                worker = _Worker(self, len(self._workers))
                self._workers.append(worker)
                worker.start()
            else:
                self._waiting.append(executor)
                return
        executor._bind(worker)

    def _release(self, worker: _Worker) -> PinnedExecutor | None:
        with self._lock:
            if self._waiting and not self._closed:
                return self._waiting.popleft()
            self._idle.append(worker)
            return None

    def _run_hook(self, hook: Callable[[], None] | None) -> None:
        if hook is None:
            return
        try:
            hook()
        except Exception:
            import logging

            logging.getLogger("async_handler").exception("thread pool hook %r failed", hook)

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop every thread after the work queued on it, running on_stop in each."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        for worker in workers:
            worker.queue.put(_STOP)
        for worker in workers:
            worker.join(timeout)
