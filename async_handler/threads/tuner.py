"""How many requests may hold a pool thread at once, tuned by how busy those threads are.

Under the GIL, threads that all compute do not run faster together: each time
one releases the GIL (SQLite's driver does so around every step) another
takes it. Listing 100 rows with DRF, 16 such threads measured about 125
context switches per request and 30% more CPU per request than two threads.
Threads that wait on the network, or that stay pinned to an async view while
it awaits, cost no CPU, and then more of them is exactly what is wanted.

So the pool starts at `floor` threads and the tuner, while requests are
waiting for one, raises the limit when the pool's threads together use less
than a third of a CPU (GROW_BELOW), and lowers it again above 0.6 of one
(SHRINK_ABOVE). It reads the threads' own scheduler statistics, so the event
loop's work does not count, and time a thread spent runnable but waiting for
a CPU counts as computing: on a machine loaded by other processes, threads
that compute are not mistaken for threads that wait.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from .pool import ThreadPool

INTERVAL = 0.01  # seconds between looks while requests wait
SLOW_INTERVAL = 0.05  # while nothing waits but the limit is above the floor
GROW_BELOW = 0.3  # CPUs' worth used by the pool's threads
SHRINK_ABOVE = 0.6
SMOOTHING = 0.25
IDLE_BELOW = 0.1  # so idle that every waiting request may have a thread at once


class _SchedStat:
    """Seconds threads ran or sat runnable in the run queue (Linux's schedstat).

    Time waiting for a CPU counts as wanting one: on a machine busy with other
    processes, threads that compute still read as computing, not as idle. The
    files stay open, read with pread, since they are read every 10 ms.
    """

    def __init__(self) -> None:
        self._fds: dict[int, int] = {}

    def __call__(self, native_ids: Iterable[int | None]) -> float:
        used = 0
        wanted = set(native_ids)
        for gone in self._fds.keys() - wanted:  # threads retired from the pool
            self._forget(gone)
        for native_id in wanted:
            if native_id is None:
                continue
            fd = self._fds.get(native_id)
            try:
                if fd is None:
                    fd = self._fds[native_id] = os.open(
                        f"/proc/self/task/{native_id}/schedstat", os.O_RDONLY)
                ran, queued, _ = os.pread(fd, 128, 0).split()
            except (OSError, ValueError):  # the thread has ended
                self._forget(native_id)
                continue
            used += int(ran) + int(queued)
        return used / 1e9

    def _forget(self, native_id: int) -> None:
        fd = self._fds.pop(native_id, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for native_id in list(self._fds):
            self._forget(native_id)


def _thread_clock() -> Callable[[Iterable[int | None]], float] | None:
    getclock = getattr(time, "pthread_getcpuclockid", None)
    if getclock is None:  # pragma: no cover - not Linux/BSD
        return None

    def total(idents: Iterable[int | None]) -> float:
        used = 0.0
        for ident in idents:
            if ident is None:
                continue
            try:
                used += time.clock_gettime(getclock(ident))
            except (OSError, ValueError):  # the thread has just ended
                pass
        return used

    return total


class Tuner(threading.Thread):
    """A daemon thread that moves `pool.limit`; it sleeps whenever there is nothing to tune."""

    def __init__(self, pool: ThreadPool) -> None:
        super().__init__(name=f"{pool.name}_tuner", daemon=True)
        self.pool = pool
        self._wanted = threading.Event()
        self._stopped = False
        self._schedstat = (_SchedStat() if os.path.exists(
            f"/proc/self/task/{threading.get_native_id()}/schedstat") else None)
        self._clock = _thread_clock()
        self.start()

    def wake(self) -> None:
        if not self._wanted.is_set():
            self._wanted.set()

    def stop(self, timeout: float | None = None) -> None:
        self._stopped = True
        self._wanted.set()
        self.join(timeout)

    def cpu(self) -> float:
        """Seconds the pool's threads ran or waited for a CPU (CPU time without schedstat)."""
        workers = list(self.pool._workers)
        if self._schedstat is not None:
            return self._schedstat([w.native_id for w in workers])
        if self._clock is None:  # pragma: no cover
            return time.process_time()
        return self._clock([w.ident for w in workers])

    def adjust(self, share: float, bound: int, queued: int) -> None:
        """One decision, given the CPUs' worth the threads used since the last one."""
        pool = self.pool
        if queued and share < GROW_BELOW:
            pool.grow(queued if share < IDLE_BELOW else 1)
        elif share > SHRINK_ABOVE:
            pool.shrink()
        elif not bound and not queued:
            pool.shrink(to=pool.floor)

    def run(self) -> None:
        pool = self.pool
        while True:
            self._wanted.wait()
            if self._stopped:
                if self._schedstat is not None:
                    self._schedstat.close()
                return
            cpu, at = self.cpu(), time.monotonic()
            share: float | None = None
            steady = 0  # looks in a row that left the limit as it was
            while not self._stopped:
                bound, queued = pool.demand
                if not queued and pool.limit <= pool.floor:
                    self._wanted.clear()
                    if not pool.demand[1]:  # a request that queued meanwhile set it again
                        break
                # While the limit holds, look less often (up to 8x): each look
                # reads every thread's statistics, 3-5% of a busy worker's CPU
                # when done every 10 ms (py-spy, sync hello at 64 connections).
                time.sleep(INTERVAL * min(1 << (steady // 8), 8) if queued else SLOW_INTERVAL)
                now_cpu, now = self.cpu(), time.monotonic()
                # A moving average over about four looks, so that one window in
                # which the loop kept the GIL (a GC pass, say) does not count as idle.
                sample = (now_cpu - cpu) / max(now - at, 1e-6)
                share = sample if share is None else share + SMOOTHING * (sample - share)
                cpu, at = now_cpu, now
                bound, queued = pool.demand
                limit = pool.limit
                try:
                    self.adjust(share, bound, queued)
                    steady = steady + 1 if pool.limit == limit else 0
                except Exception:  # pragma: no cover - a stuck limit would starve requests
                    logging.getLogger("async_handler").exception("thread pool tuner failed")
                    pool.grow(pool.size)
