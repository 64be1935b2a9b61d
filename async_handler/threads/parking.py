"""Parked threads: threads blocked waiting on the event loop, kept apart from the running ones.

A sync middleware that wraps the rest of the chain blocks its thread until
the chain below returns. Counting such threads as running would let a few
slow requests through it use up the threads sync views compute on, so they
are parked: a parked thread counts against neither the pool's size nor its
limit.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING, Any, Callable, cast

from .thread import PoolThread

if TYPE_CHECKING:
    from .executor import RequestExecutor
    from .pool import ThreadPool


class ParkingExecutor(Executor):
    """Runs calls that will block on the event loop on threads apart from the running ones.

    A sync middleware that wraps the rest of the chain blocks its thread until
    the chain below returns. Its call runs here, on a parked thread, so it
    takes none of the threads sync views compute on and none of their DB
    connections; the chain below borrows threads as any request does.
    """

    def __init__(self, pool: Parking) -> None:
        self._pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._pool._park_call((future, fn, args, kwargs))
        return future

    def enqueue(self, future: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """submit() with the caller's own future-like object (see hop._Handoff)."""
        self._pool._park_call((future, fn, args, kwargs))


class Parking:
    """ThreadPool's parking: parked calls on their own threads, and running threads parked."""

    size: int
    _lock: threading.Lock
    _closed: bool
    _made: int
    _active: int
    _parked: int
    _parkers: list[PoolThread]
    _idle_parkers: list[PoolThread]

    def _hand_out(self) -> list[tuple[RequestExecutor, PoolThread]]:
        raise NotImplementedError

    def _park_call(self, item: tuple[Any, ...]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the thread pool is shut down")
            self._parked += 1
            if self._idle_parkers:
                thread = self._idle_parkers.pop()
            else:
                thread = PoolThread(cast("ThreadPool", self), self._made, parker=True)
                self._made += 1
                self._parkers.append(thread)
                thread.start()
        thread.queue.put(item)

    def _parker_done(self, thread: PoolThread) -> bool:
        """A parked call has returned: True when its thread should exit (enough are idle)."""
        with self._lock:
            self._parked -= 1
            if self._closed or len(self._idle_parkers) >= self.size:
                self._parkers.remove(thread)
                return True
            self._idle_parkers.append(thread)
            return False

    def park(self, thread: PoolThread) -> None:
        """`thread` (the caller) is about to block on the loop: let another thread run instead."""
        with self._lock:
            thread.parked = True
            self._parked += 1
            self._active -= 1
            handed = self._hand_out()
        for executor, other in handed:
            other.queue.put(executor)

    def unpark(self, thread: PoolThread) -> None:
        """`thread` runs again; it may take the running count past the limit until it returns."""
        with self._lock:
            thread.parked = False
            self._parked -= 1
            self._active += 1

