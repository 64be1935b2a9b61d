"""Warns, naming the view, when something blocks the event loop.

A thread watches a timestamp the loop refreshes; when the loop stops
refreshing it for longer than SLOW_CALLBACK_WARNING seconds, the thread
reads the loop thread's stack and logs the view that holds it. It costs
nothing per request, unlike asyncio's debug mode.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from types import FrameType

logger = logging.getLogger("async_handler")


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


class LoopWatchdog:
    """Logs a warning each time the loop is blocked longer than `threshold` seconds."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._beat = time.monotonic()
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._handle: asyncio.TimerHandle | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._tick()
        self._thread = threading.Thread(target=self._watch, name="async_handler_watchdog",
                                        daemon=True)
        self._thread.start()

    def _tick(self) -> None:
        assert self._loop is not None
        self._beat = time.monotonic()
        self._handle = self._loop.call_later(self.threshold / 4, self._tick)

    def _watch(self) -> None:
        reported = 0.0
        while not self._stop.wait(self.threshold / 4):
            beat = self._beat
            stalled = time.monotonic() - beat
            if stalled > self.threshold and beat != reported:
                reported = beat
                frame = sys._current_frames().get(self._loop_thread)
                logger.warning("Event loop blocked for %.2fs (ASYNC_HANDLER SLOW_CALLBACK_WARNING="
                               "%s) in %s", stalled, self.threshold, blocked_in(frame))

    def stop(self) -> None:
        self._stop.set()
        if self._handle is not None:
            self._handle.cancel()
        if self._thread is not None:
            self._thread.join(1.0)
