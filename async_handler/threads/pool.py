"""A bounded pool of threads that requests borrow only while they have sync calls to run.

Django's ASGI handler gives every request a fresh one-thread executor for its
whole life (asgiref's ThreadSensitiveContext), so a request that awaits the
network holds a thread, and each of those threads opens its own DB connection
(Django ticket #33497). Here a request takes a long-lived thread per run of
calls and gives it back as soon as they return, so an async view awaiting
something holds no thread and DB connections stay bounded by the pool's size.

A thread is kept for a request between calls only when `must_stay` says so
(a transaction opened in one call and closed in a later one), or for every
request when the pool is `sticky`.

How many threads run requests' calls at once is capped by `limit`, which a
Tuner moves between `floor` and `size`. A thread blocked waiting on the
event loop (a sync middleware wrapping the rest of the chain) is parked:
it counts against neither, so it never takes a thread from sync views.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Callable

from .executor import RequestExecutor
from .parking import Parking, ParkingExecutor
from .thread import RETIRE, SETTLE, STOP, PoolThread
from .tuner import Tuner

__all__ = ["RequestExecutor", "ThreadPool"]

Hook = Callable[[], None] | None
logger = logging.getLogger("async_handler")


def _both(first: Hook, then: Hook) -> Hook:
    if first is None or then is None:
        return first or then

    def both() -> None:
        first()
        then()

    return both


class ThreadPool(Parking):
    """Up to `size` threads running requests' calls, plus any number parked.

    Requests that find `limit` threads running wait in arrival order. Hooks
    run on the pool thread (see thread.py for when).
    """

    tuner: type[Tuner] | None = Tuner

    def __init__(
        self,
        size: int,
        *,
        name: str = "async_handler",
        on_bind: Hook = None,
        on_release: Hook = None,
        on_rebind: Hook = None,
        on_switch: Hook = None,
        on_stop: Hook = None,
        on_parked_done: Hook = None,
        must_stay: Callable[[], bool] | None = None,
        sticky: bool = False,
        floor: int | None = 2,
    ) -> None:
        if size < 1:
            raise ValueError("the thread pool needs at least one thread")
        self.size = size
        # With floor=None every thread may run at once and no tuner runs.
        self.floor = size if floor is None else max(1, min(floor, size))
        self.limit = self.floor
        self.name = name
        self.on_bind = on_bind
        self.on_release = on_release
        self.on_rebind = on_rebind or _both(on_release, on_bind)
        self.on_switch = on_switch
        self.on_stop = on_stop
        self.on_parked_done = on_parked_done
        self.must_stay = must_stay
        self.sticky = sticky
        self._lock = threading.Lock()
        self._workers: list[PoolThread] = []
        self._idle: list[PoolThread] = []
        self._waiting: deque[RequestExecutor] = deque()
        self._parkers: list[PoolThread] = []  # threads of `parking`, apart from the running ones
        self._idle_parkers: list[PoolThread] = []
        self.parking = ParkingExecutor(self)
        self._active = 0  # threads taken by requests and not parked
        self._parked = 0
        self._made = 0
        self._closed = False
        self._tuner: Tuner | None = None

    def executor(self) -> RequestExecutor:
        return RequestExecutor(self)

    # -- numbers -------------------------------------------------------------

    @property
    def threads(self) -> int:
        return len(self._workers)

    @property
    def busy(self) -> int:
        """Threads taken by requests: running their calls, held for them, or parked."""
        with self._lock:
            return self._active + self._parked

    @property
    def parked(self) -> int:
        """Threads blocked in a sync middleware waiting for the rest of the chain."""
        return self._parked

    @property
    def parkers(self) -> int:
        """Threads kept for parked calls, busy or idle."""
        return len(self._parkers)

    @property
    def queued(self) -> int:
        """Requests waiting for a thread."""
        return len(self._waiting)

    @property
    def demand(self) -> tuple[int, int]:
        """(threads running or held, requests waiting), for the tuner."""
        return self._active, len(self._waiting)

    # -- taking and giving back threads ------------------------------------

    def _new_thread(self) -> PoolThread:
        # Called with the lock held.
        if self._idle:
            return self._idle.pop()
        thread = PoolThread(self, self._made)
        self._made += 1
        self._workers.append(thread)
        thread.start()
        return thread

    def _hand_out(self) -> list[tuple[RequestExecutor, PoolThread]]:
        # Called with the lock held: give threads to waiting requests up to the limit.
        handed = []
        while self._waiting and self._active < self.limit and not self._closed:
            self._active += 1
            handed.append((self._waiting.popleft(), self._new_thread()))
        return handed

    def _dispatch(self, executor: RequestExecutor) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the thread pool is shut down")
            if self._active < self.limit:
                self._active += 1
                thread: PoolThread | None = self._new_thread()
            else:
                thread = None
                self._waiting.append(executor)
                if self.limit < self.size:
                    self._wake_tuner()
        if thread is not None:
            thread.queue.put(executor)

    def _release(self, thread: PoolThread) -> RequestExecutor | None:
        """`thread` is done with its request: the next waiting request's executor, or None."""
        with self._lock:
            if self._waiting and not self._closed and self._active <= self.limit:
                return self._waiting.popleft()
            self._active -= 1
            if len(self._workers) - self._parked > self.size and not self._closed:
                # Made while others were parked; more threads than size stay idle.
                self._workers.remove(thread)
                thread.queue.put(RETIRE)
            else:
                self._idle.append(thread)
        return None

    def _enter(self, thread: PoolThread, executor: RequestExecutor) -> None:
        """On `thread`, before it runs `executor`'s calls: the hook the change of request needs."""
        with self._lock:
            if executor in thread.users:
                return
            hook = self.on_switch if thread.users else (
                self.on_rebind if thread.owes_release else self.on_bind)
            thread.owes_release = False
            thread.users.add(executor)
            executor.used.append(thread)
        self._run_hook(hook)

    def _finish(self, executor: RequestExecutor) -> None:
        """A request has ended: threads it was the last live user of owe their release hook."""
        with self._lock:
            for thread in executor.used:
                thread.users.discard(executor)
                if not thread.users:
                    thread.owes_release = True
            executor.used.clear()

    def _take_owed(self, thread: PoolThread) -> bool:
        with self._lock:
            owed = thread.owes_release and not thread.users
            thread.owes_release = False
            return owed

    def _must_stay(self) -> bool:
        if self.sticky:
            return True
        if self.must_stay is None:
            return False
        try:
            return self.must_stay()
        except Exception:
            logger.exception("thread pool must_stay hook failed")
            return False

    # -- the tuner -----------------------------------------------------------

    def _wake_tuner(self) -> None:
        if self._tuner is None:
            if self.tuner is None:
                return
            self._tuner = self.tuner(self)
        self._tuner.wake()

    def grow(self, step: int) -> None:
        """Raise the limit by `step` (up to size) and hand threads to waiting requests."""
        with self._lock:
            if self._closed:
                return
            self.limit = min(self.size, self.limit + step)
            handed = self._hand_out()
        for executor, thread in handed:
            thread.queue.put(executor)

    def shrink(self, to: int | None = None) -> None:
        """Lower the limit by one, or to `to`; threads over it are not handed on when freed."""
        with self._lock:
            self.limit = max(self.floor, self.limit - 1 if to is None else to)

    # -- housekeeping --------------------------------------------------------

    def settle(self) -> None:
        """Run the owed release hook on idle threads (closing DB connections past their age)."""
        with self._lock:
            for thread in self._idle:
                if thread.owes_release:
                    thread.queue.put(SETTLE)

    def _run_hook(self, hook: Hook) -> None:
        if hook is None:
            return
        try:
            hook()
        except Exception:
            logger.exception("thread pool hook %r failed", hook)

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop every thread after the work queued on it, running on_stop in each."""
        with self._lock:
            self._closed = True
            workers = list(self._workers) + list(self._idle_parkers)
            tuner, self._tuner = self._tuner, None
        if tuner is not None:
            tuner.stop(timeout)
        for thread in workers:
            thread.queue.put(STOP)
        for thread in workers:
            thread.join(timeout)
