"""The worker's own numbers: its thread pool, requests waiting, event-loop lag, connections.

`snapshot()` reads them in the current worker process, for a Prometheus
exporter or a health view. With gunicorn's `--statsd-host` the worker also
sends them each second as statsd gauges named `async_handler.<name>`, under
`--statsd-prefix`, through gunicorn's own statsd logger.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any, Callable

#: The names snapshot() returns, as statsd gauges take them after `async_handler.`.
NAMES = ("pool.busy", "pool.parked", "pool.queued", "loop.lag_ms", "connections")


class LagProbe:
    """How late the loop runs a timer: the largest delay over the last second or so.

    A timer every `tick` seconds notes how much later than asked it ran. A
    delay still under way (the loop is blocked now) counts too, so a reader on
    another thread sees it before the loop recovers.
    """

    def __init__(self, tick: float = 0.1, window: float = 1.0) -> None:
        self.tick = tick
        self.window = window
        self._due = time.monotonic()
        self._worst = self._previous = 0.0
        self._window_end = self._due + window
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due = time.monotonic() + self.tick
        self._window_end = self._due + self.window
        self._handle = loop.call_later(self.tick, self._fire)

    def _fire(self) -> None:
        now = time.monotonic()
        self._worst = max(self._worst, now - self._due)
        if now >= self._window_end:
            self._previous, self._worst = self._worst, 0.0
            self._window_end = now + self.window
        self._due = now + self.tick
        assert self._loop is not None
        self._handle = self._loop.call_later(self.tick, self._fire)

    @property
    def lag(self) -> float:
        """Seconds: the worst timer delay in this window and the last, or the current one."""
        return max(0.0, self._previous, self._worst, time.monotonic() - self._due)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class WorkerMetrics:
    """The numbers of one worker: `app` holds the thread pool, `server` the connections."""

    def __init__(self, app: Any, server: Any, probe: LagProbe | None = None) -> None:
        self.app = app
        self.server = server
        self.probe = probe or LagProbe()
        self._reporter: asyncio.Task[None] | None = None

    def snapshot(self) -> dict[str, float]:
        pool = getattr(self.app, "pool", None)
        return {
            "pool.busy": pool.busy if pool is not None else 0,
            "pool.parked": getattr(pool, "parked", 0),
            "pool.queued": pool.queued if pool is not None else 0,
            "loop.lag_ms": round(self.probe.lag * 1000, 1),
            "connections": getattr(self.server, "open_connections", 0),
        }

    def start(self, gauge: Callable[[str, float], Any] | None, interval: float = 1.0,
              sock: socket.socket | None = None) -> None:
        """Measure from now on, and send each number to `gauge` every `interval` seconds.

        `sock` is the statsd logger's socket: while it reports the statsd server
        unreachable the gauges wait, rather than log an error every second.
        """
        global _current
        _current = self
        self.probe.start(asyncio.get_running_loop())
        if gauge is not None:
            self._reporter = asyncio.ensure_future(self._report(gauge, interval, sock))

    async def _report(self, gauge: Callable[[str, float], Any], interval: float,
                      sock: socket.socket | None) -> None:
        while True:
            await asyncio.sleep(interval)
            for name, value in self.snapshot().items():
                if _refused(sock):
                    break
                gauge(f"async_handler.{name}", value)

    def stop(self) -> None:
        global _current
        if _current is self:
            _current = None
        self.probe.stop()
        if self._reporter is not None:
            self._reporter.cancel()
            self._reporter = None


def _refused(sock: socket.socket | None) -> bool:
    """Whether a datagram sent on `sock` came back refused (reading the error clears it)."""
    if sock is None:
        return False
    try:
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0
    except OSError:
        return False


_current: WorkerMetrics | None = None


def snapshot() -> dict[str, float]:
    """This worker process's numbers now, by name (see NAMES); {} outside a serving worker.

    pool.busy: pool threads taken by a request; pool.parked: those of them
    parked, waiting on the loop; pool.queued: requests waiting for a thread;
    loop.lag_ms: how late the event loop ran a timer lately, in milliseconds;
    connections: open client connections. Safe to call from any thread.
    """
    current = _current
    return current.snapshot() if current is not None else {}
