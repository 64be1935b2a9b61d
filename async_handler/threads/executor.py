"""One request's executor: its sync calls run one at a time, in order, on pool threads.

A request takes a thread only while it has calls to run. When they are done
the thread goes back to the pool, unless the pool's `must_stay` hook says the
request still owns state on it (an open transaction, say), or the pool is
sticky (one thread per request, for thread-local state); then the thread is
held for the request's next call.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any, Callable

from .thread import _run

if TYPE_CHECKING:
    from .pool import ThreadPool
    from .thread import PoolThread

IDLE = 0  # no thread, nothing to run
BUSY = 1  # a thread is running this request's calls, or will once the pool has one
HELD = 2  # a thread is kept for this request, waiting for its next call


class RequestExecutor(Executor):
    """The executor a request's ThreadSensitiveContext hands to asgiref."""

    __slots__ = ("_pool", "_lock", "_calls", "_state", "_held", "_ended", "_finished", "used")

    def __init__(self, pool: ThreadPool) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        # (a Future or hop._Handoff, fn, args, kwargs). A list, not a deque: a request
        # queues one call at a time (its awaits are sequential), and an empty deque
        # allocates a 64-slot block, ~0.7 KB held by every open WebSocket (make bench).
        self._calls: list[tuple[Any, Callable[..., Any], tuple[Any, ...],
                                dict[str, Any]]] = []
        self._state = IDLE
        self._held: PoolThread | None = None
        self._ended = False
        self._finished = False
        self.used: list[PoolThread] = []  # threads this request ran on (pool's lock)

    @property
    def held(self) -> bool:
        """Whether a thread is kept for this request between its calls."""
        return self._state == HELD

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.enqueue(future, fn, *args, **kwargs)
        return future

    def enqueue(self, future: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """submit() with the caller's own future-like object (see hop._Handoff)."""
        with self._lock:
            if self._ended:
                raise RuntimeError("cannot submit after the request has ended")
            self._calls.append((future, fn, args, kwargs))
            if self._state == BUSY:
                return
            self._state = BUSY
            held, self._held = self._held, None
        if held is not None:
            held.queue.put(self)
        else:
            self._pool._dispatch(self)

    def _serve(self, thread: PoolThread) -> RequestExecutor | None:
        """Run the queued calls on `thread`; return the next executor it should serve."""
        pool = self._pool
        pool._enter(thread, self)
        calls = self._calls
        while True:
            while True:
                with self._lock:
                    if not calls:
                        break
                    future, fn, args, kwargs = calls.pop(0)
                _run(future, fn, args, kwargs)
                del future, fn, args, kwargs
            stay = pool._must_stay()
            with self._lock:
                if calls:
                    continue
                if stay and not self._ended:
                    self._state, self._held = HELD, thread
                    return None
                self._state = IDLE
                ended = self._ended
            break
        if ended:
            pool._finish(self)
        return pool._release(thread)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """The request has ended: give back a held thread, or let the running one do it."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
            if self._state == BUSY:
                return  # the thread finishing the last calls releases itself
            held, self._held = self._held, None
            self._state = IDLE
        self._pool._finish(self)
        if held is not None:
            nxt = self._pool._release(held)
            # Handed on from here without waking the thread just to do it.
            if nxt is not None:
                held.queue.put(nxt)

