"""A bounded thread pool whose threads are pinned to one request at a time.

Django's ASGI handler gives every request a fresh one-thread executor so that
a request's sync work stays on one thread (asgiref's ThreadSensitiveContext).
That costs a thread start per request and leaks persistent DB connections,
because each short-lived thread opens its own (Django ticket #33497).

Here a request borrows a long-lived thread the first time it needs one and
keeps it until the request ends, so thread sensitivity holds, CONN_MAX_AGE
connections are reused, and requests that never touch sync code never take
a thread at all.

How many requests hold a thread at once is capped by `limit`, which a
tuner.Tuner moves between `floor` and `size`: threads that compute only
contend for the GIL, while threads that wait (on the network, or pinned to an
async view that is awaiting something) leave room for more.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable

from .pinned import _SETTLE, _STOP, PinnedExecutor, _Worker
from .tuner import Tuner

__all__ = ["PinnedExecutor", "ThreadPool"]


def _both(first: Callable[[], None] | None,
          then: Callable[[], None] | None) -> Callable[[], None] | None:
    if first is None or then is None:
        return first or then

    def both() -> None:
        first()
        then()

    return both


class ThreadPool:
    """Up to `size` threads, each serving one request's PinnedExecutor at a time.

    Requests that find every thread taken wait in arrival order. The hooks run
    on the pool thread: on_bind before a request's first call, on_release after
    its last, and on_stop when the pool shuts down.
    """

    tuner: type[Tuner] | None = Tuner

    def __init__(
        self,
        size: int,
        *,
        name: str = "async_handler",
        on_bind: Callable[[], None] | None = None,
        on_release: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
        on_rebind: Callable[[], None] | None = None,
        floor: int | None = 2,
    ) -> None:
        if size < 1:
            raise ValueError("the thread pool needs at least one thread")
        self.size = size
        # With floor=None every thread may be taken at once and no tuner runs.
        self.floor = size if floor is None else max(1, min(floor, size))
        self.limit = self.floor
        self.name = name
        self.on_bind = on_bind
        self.on_release = on_release
        self.on_stop = on_stop
        self.on_rebind = on_rebind or _both(on_release, on_bind)
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._waiting: deque[PinnedExecutor] = deque()
        self._closed = False
        self._tuner: Tuner | None = None

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

    def _take(self) -> _Worker:
        # Called with the lock held and a thread known to be available.
        if self._idle:
            return self._idle.pop()
        worker = _Worker(self, len(self._workers))
        self._workers.append(worker)
        worker.start()
        return worker

    def _acquire(self, executor: PinnedExecutor) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the thread pool is shut down")
            bound = len(self._workers) - len(self._idle)
            if bound < self.limit:
                worker = self._take()
            else:
                self._waiting.append(executor)
                worker = None
                if self.limit < self.size:
                    self._wake_tuner()
        if worker is not None:
            executor._bind(worker)

    def _wake_tuner(self) -> None:
        if self._tuner is None:
            if self.tuner is None:
                return
            self._tuner = self.tuner(self)
        self._tuner.wake()

    def grow(self, step: int) -> None:
        """Raise the limit by `step` (up to size) and hand threads to waiting requests."""
        handed: list[tuple[PinnedExecutor, _Worker]] = []
        with self._lock:
            if self._closed:
                return
            self.limit = min(self.size, self.limit + step)
            bound = len(self._workers) - len(self._idle)
            while self._waiting and bound < self.limit:
                handed.append((self._waiting.popleft(), self._take()))
                bound += 1
        for executor, worker in handed:
            executor._bind(worker)

    def shrink(self, to: int | None = None) -> None:
        """Lower the limit by one, or to `to`; threads over it are not handed on when freed."""
        with self._lock:
            self.limit = max(self.floor, self.limit - 1 if to is None else to)

    @property
    def demand(self) -> tuple[int, int]:
        """(threads taken, requests waiting), for the tuner."""
        return len(self._workers) - len(self._idle), len(self._waiting)

    def _release(self, worker: _Worker, *, settled: bool) -> PinnedExecutor | None:
        """Return `worker` to the idle list, or give it to the longest-waiting request."""
        with self._lock:
            worker.unsettled = not settled
            bound = len(self._workers) - len(self._idle)
            if self._waiting and not self._closed and bound <= self.limit:
                nxt = self._waiting.popleft()
            else:
                self._idle.append(worker)
                return None
        if not settled:
            nxt._bind(worker)
            return None
        return nxt

    def settle(self) -> None:
        """Run the owed release hook on idle threads (closing DB connections past their age)."""
        with self._lock:
            for worker in self._idle:
                if worker.unsettled:
                    worker.unsettled = False
                    worker.queue.put(_SETTLE)

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
            tuner, self._tuner = self._tuner, None
        if tuner is not None:
            tuner.stop(timeout)
        for worker in workers:
            worker.queue.put(_STOP)
        for worker in workers:
            worker.join(timeout)
