"""The loop watchdog blames code that blocks the loop, and nothing else.

Computing and blocking calls on the loop are reported, naming the code; a
worker the machine does not run for a while (here: stopped with SIGSTOP, the
extreme of a busy machine) is not, whether idle or awaiting. Its lines take
gunicorn's log format under the worker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from async_handler.core.watchdog import LoopWatchdog
from tests.server import Gunicorn
from tests.worker_support import get, poll, worker_pid


def _spin(cpu_seconds: float) -> None:
    """Computes on the calling thread until it has used `cpu_seconds` of CPU."""
    start = time.thread_time()
    while time.thread_time() - start < cpu_seconds:
        pass


def _sleepy(seconds: float) -> None:
    time.sleep(seconds)


async def _warnings_after(caplog: pytest.LogCaptureFixture, block: Callable[[], None],
                          threshold: float = 0.2) -> list[str]:
    """The watchdog's warnings while the loop runs `block`, once one has come (or 5 s)."""
    dog = LoopWatchdog(threshold)
    dog.start()
    try:
        with caplog.at_level(logging.WARNING, logger="async_handler"):
            await asyncio.sleep(threshold)
            block()
            for _ in range(100):
                found = [r.getMessage() for r in caplog.records
                         if "Event loop blocked" in r.getMessage()]
                if found:
                    return found
                await asyncio.sleep(0.05)
            return []
    finally:
        dog.stop()


async def test_code_computing_on_the_loop_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    found = await _warnings_after(caplog, lambda: _spin(0.6))
    assert len(found) == 1 and "tests.core.test_watchdog._spin" in found[0], found
    cpu = float(re.search(r"\(([\d.]+)s of it on the CPU", found[0]).group(1))  # type: ignore[union-attr]
    assert cpu >= 0.1, found  # most of it: the rest may be waits for the GIL


async def test_a_blocking_call_on_the_loop_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    found = await _warnings_after(caplog, lambda: _sleepy(1.0))
    assert len(found) == 1 and "tests.core.test_watchdog._sleepy" in found[0], found


async def test_awaiting_is_not_reported(caplog: pytest.LogCaptureFixture) -> None:
    async def awaiting() -> None:
        await asyncio.sleep(0.8)

    dog = LoopWatchdog(0.2)
    dog.start()
    try:
        with caplog.at_level(logging.WARNING, logger="async_handler"):
            await asyncio.gather(*(awaiting() for _ in range(50)))
    finally:
        dog.stop()
    assert not [r for r in caplog.records if "Event loop blocked" in r.getMessage()]


def _loop_factories() -> Iterator[Any]:
    yield pytest.param(asyncio.new_event_loop, id="asyncio")
    uvloop = pytest.importorskip("uvloop")
    yield pytest.param(uvloop.new_event_loop, id="uvloop")


@pytest.mark.parametrize("new_loop", list(_loop_factories()))
def test_the_loop_waiting_for_events_is_idle_and_code_on_it_is_not(
        new_loop: Callable[[], asyncio.AbstractEventLoop]) -> None:
    """What the watchdog would see of a loop that got no CPU: its poller, or a callback."""
    loop = new_loop()
    dog = LoopWatchdog(60.0)
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(_start(dog), loop).result(10)
        ident = thread.ident
        assert ident is not None

        def frame() -> Any:
            return sys._current_frames().get(ident)

        poll(lambda: dog.idle(frame()), 10, "the loop to wait in its poller")
        inside = threading.Event()
        loop.call_soon_threadsafe(lambda: (inside.set(), _sleepy(1.0)))
        poll(inside.is_set, 10, "the callback to run")
        assert not dog.idle(frame())
        poll(lambda: dog.idle(frame()), 10, "the loop to wait again")
    finally:
        loop.call_soon_threadsafe(dog.stop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _start(dog: LoopWatchdog) -> None:
    dog.start()


BLOCKED_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[WARNING\] "
                          r"Event loop blocked for .*", re.M)


def test_a_stopped_worker_is_not_blamed_and_a_blocked_one_is_in_gunicorns_format(
        tmp_path: Any) -> None:
    """Stopped for a second at a time, idle and while requests await: no warning.
    Then a view that blocks the loop: one warning, as gunicorn formats its lines."""
    env = {"DJANGO_SETTINGS_MODULE": "tests.env_settings",
           "ASYNC_HANDLER_TEST_SETTINGS": json.dumps({"SLOW_CALLBACK_WARNING": 0.2})}
    with Gunicorn(env=env) as g:
        g.wait_ready("/pid/")
        pid = worker_pid(g)
        replies: list[int] = []
        awaiting = [threading.Thread(target=lambda: replies.append(
            get(g.port, "/async-sleep/?s=3", timeout=60).status)) for _ in range(3)]
        for stop in range(6):
            if stop == 3:  # the second half with requests awaiting on the loop
                for client in awaiting:
                    client.start()
            os.kill(pid, signal.SIGSTOP)
            time.sleep(0.8)  # the stimulus: a worker the machine does not run
            os.kill(pid, signal.SIGCONT)
            assert get(g.port, "/pid/").status == 200
        for client in awaiting:
            client.join(60)
        assert replies == [200, 200, 200]
        assert get(g.port, "/block-loop/?s=0.8").status == 200
        line = poll(lambda: BLOCKED_LINE.search(g.output()), 20, "the watchdog's warning")
        assert "tests.worker_views.block_loop serving GET /block-loop/" in line.group(0)
        assert len(BLOCKED_LINE.findall(g.output())) == 1, g.output()
