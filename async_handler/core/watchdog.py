"""Warns, naming the view, when code running on the event loop blocks it.

The loop refreshes a timestamp every `threshold / 4` seconds. A thread looks
every `threshold / 8` seconds; while the timestamp is stale it adds up the
time the loop thread spent in code: its own CPU time (pthread_getcpuclockid),
plus, on Linux, the time it slept inside code such as `time.sleep()` or a
blocking socket call. Wall time alone would blame whatever the loop was doing
when the machine was too busy to run it, even `selectors.select` on an idle
server, so time spent waiting for a CPU (the run-queue delay in
/proc/.../schedstat) and time the loop sat idle in its poller never count.
It costs nothing per request, unlike asyncio's debug mode.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from types import CodeType, FrameType
from typing import Callable

logger = logging.getLogger("async_handler")
# Where the loop thread is when it runs no callback: polling, or choosing the next one.
_LOOP_MODULES = frozenset({"selectors", "asyncio.base_events", "asyncio.events"})


def blocked_in(frame: FrameType | None) -> str:
    """Name the innermost function on this stack that holds a Django request, and the request."""
    innermost = None
    while frame is not None:
        request = frame.f_locals.get("request")
        if request is not None and hasattr(request, "method") and hasattr(request, "path"):
            code = frame.f_code
            name = getattr(code, "co_qualname", code.co_name)
            return (f"{frame.f_globals.get('__name__', '?')}.{name}"
                    f" serving {request.method} {request.path}")
        if innermost is None:
            innermost = f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}"
        frame = frame.f_back
    return innermost or "unknown code"


def cpu_clock(ident: int) -> Callable[[], float]:
    """Seconds of CPU the thread `ident` (threading.get_ident()) has used, as a callable."""
    try:
        clock = time.pthread_getcpuclockid(ident)
        time.clock_gettime(clock)
    except (AttributeError, OSError):  # no per-thread CPU clocks here: wall time it is
        return time.monotonic
    return lambda: time.clock_gettime(clock)


class SchedStat:
    """A Linux thread's run-queue delay and state, read from /proc; zeros elsewhere."""

    def __init__(self, native_id: int) -> None:
        self._dir = f"/proc/self/task/{native_id}/"
        self.available = self.run_delay() is not None

    def run_delay(self) -> float | None:
        """Seconds the thread has waited for a CPU while runnable, since it started."""
        try:
            with open(self._dir + "schedstat", encoding="ascii") as fh:
                return int(fh.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return None

    def sleeping(self) -> bool:
        """Whether the thread sleeps in a system call now (state S or D), not runnable."""
        try:
            with open(self._dir + "stat", encoding="ascii") as fh:
                return fh.read().rpartition(")")[2].split()[0] in ("S", "D")
        except (OSError, IndexError):
            return False


class LoopWatchdog:
    """Logs a warning each time code on the loop blocks it longer than `threshold` seconds."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._beat = time.monotonic()
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._cpu: Callable[[], float] = time.monotonic
        self._sched: SchedStat | None = None
        self._base: CodeType | None = None
        self._handle: asyncio.Handle | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._cpu = cpu_clock(self._loop_thread)
        self._sched = SchedStat(threading.get_native_id())
        self._beat = time.monotonic()
        self._handle = self._loop.call_soon(self._tick)
        self._thread = threading.Thread(target=self._watch, name="async_handler_watchdog",
                                        daemon=True)
        self._thread.start()

    def _tick(self) -> None:
        assert self._loop is not None
        # The frame under a loop callback is where the loop sits between callbacks
        # (run_until_complete's caller under uvloop, whose poller is C code).
        self._base = sys._getframe(1).f_code
        self._beat = time.monotonic()
        self._handle = self._loop.call_later(self.threshold / 4, self._tick)

    def idle(self, frame: FrameType | None) -> bool:
        """Whether the loop thread, stopped at `frame`, is in the loop's own machinery
        (its poller, or between callbacks) rather than in code run on the loop."""
        if frame is None:
            return True
        return frame.f_globals.get("__name__") in _LOOP_MODULES or frame.f_code is self._base

    def _sample(self) -> tuple[float, float, float]:
        assert self._sched is not None
        return time.monotonic(), self._cpu(), self._sched.run_delay() or 0.0

    def _watch(self) -> None:
        assert self._sched is not None
        sched, period, interval = self._sched, self.threshold / 4, self.threshold / 8
        beat, cpu_spent, slept, reported = self._beat, 0.0, 0.0, False
        wall, cpu, delay = self._sample()
        while not self._stop.wait(interval):
            now, now_cpu, now_delay = self._sample()
            if self._beat != beat:
                beat, cpu_spent, slept, reported = self._beat, 0.0, 0.0, False
            elif now - beat > period:
                frame = sys._current_frames().get(self._loop_thread)
                if not self.idle(frame):
                    cpu_spent += now_cpu - cpu
                    if sched.available and sched.sleeping():
                        # Off the CPU but not waiting for one: a sleep or a blocking call.
                        # A look that came late means this thread got no CPU either (a
                        # stopped or starved process), so at most one interval counts.
                        off_cpu = (now - wall) - (now_cpu - cpu) - (now_delay - delay)
                        slept += min(max(0.0, off_cpu), 2 * interval)
                    if cpu_spent + slept > self.threshold and not reported:
                        reported = True
                        logger.warning(
                            "Event loop blocked for %.2fs (%.2fs of it on the CPU; ASYNC_HANDLER "
                            "SLOW_CALLBACK_WARNING=%s) in %s", cpu_spent + slept, cpu_spent,
                            self.threshold, blocked_in(frame))
            wall, cpu, delay = now, now_cpu, now_delay

    def stop(self) -> None:
        self._stop.set()
        if self._handle is not None:
            self._handle.cancel()
        if self._thread is not None:
            self._thread.join(1.0)
