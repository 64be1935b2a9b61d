"""The pool's limit on threads taken at once: low while they compute, raised while they wait."""

from __future__ import annotations

import threading
import time
from concurrent.futures import wait
from typing import Callable

from async_handler.threads import ThreadPool
from async_handler.threads.tuner import Tuner


class Running:
    """Counts how many submitted calls run at the same moment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def around(self, work: Callable[[], None]) -> Callable[[], None]:
        def call() -> None:
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                work()
            finally:
                with self.lock:
                    self.now -= 1

        return call


def _compute(seconds: float) -> Callable[[], None]:
    def spin() -> None:
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            sum(range(200))

    return spin


def _requests(pool: ThreadPool, n: int, work: Callable[[], None]) -> None:
    executors = [pool.executor() for _ in range(n)]
    futures = [ex.submit(work) for ex in executors]
    for ex in executors:
        ex.shutdown()
    done, not_done = wait(futures, 30)
    assert not not_done
    for f in done:
        f.result()


def test_threads_that_compute_are_held_at_the_floor() -> None:
    pool = ThreadPool(8)
    running = Running()
    try:
        assert pool.limit == pool.floor == 2
        _requests(pool, 8, running.around(_compute(0.15)))
        assert running.peak == 2
        assert pool.threads == 2
    finally:
        pool.shutdown(5)


def test_threads_that_wait_let_every_waiting_request_in() -> None:
    pool = ThreadPool(8)
    running = Running()
    try:
        _requests(pool, 8, running.around(lambda: time.sleep(0.4)))
        assert running.peak == 8
    finally:
        pool.shutdown(5)


def test_requests_held_while_idle_do_not_block_others() -> None:
    # As a request whose transaction is open holds its thread while its async
    # view awaits the network, without using it.
    pool = ThreadPool(4, sticky=True)
    try:
        held = [pool.executor() for _ in range(2)]
        for ex in held:
            ex.submit(lambda: None).result(5)
        third = pool.executor()
        assert third.submit(lambda: "ran").result(5) == "ran"
        assert pool.limit >= 3
        for ex in [*held, third]:
            ex.shutdown()
    finally:
        pool.shutdown(5)


def test_without_a_floor_every_thread_is_taken_at_once() -> None:
    pool = ThreadPool(4, floor=None)
    gate = threading.Event()
    try:
        executors = [pool.executor() for _ in range(4)]
        futures = [ex.submit(gate.wait, 5) for ex in executors]
        assert pool.busy == 4 and pool.queued == 0 and pool._tuner is None
        gate.set()
        wait(futures, 5)
        for ex in executors:
            ex.shutdown()
    finally:
        pool.shutdown(5)


class UntunedPool(ThreadPool):
    tuner = None


def test_threads_over_a_lowered_limit_are_not_handed_on() -> None:
    pool = UntunedPool(4, floor=1, sticky=True)
    gate = threading.Event()
    try:
        pool.grow(1)
        first, second = pool.executor(), pool.executor()
        blocked = [first.submit(gate.wait, 5), second.submit(gate.wait, 5)]
        assert pool.busy == 2
        pool.shrink()
        assert pool.limit == 1
        late = pool.executor()
        ran = late.submit(lambda: "late")
        gate.set()
        wait(blocked, 5)
        first.shutdown()
        # One thread is still taken, so the one just given back stays idle...
        time.sleep(0.05)
        assert not ran.done() and pool.queued == 1
        second.shutdown()
        # ...until the limit allows it.
        assert ran.result(5) == "late"
        late.shutdown()
    finally:
        pool.shutdown(5)


def test_decisions() -> None:
    pool = ThreadPool(16)
    tuner = Tuner(pool)
    try:
        tuner.adjust(share=0.2, bound=2, queued=5)
        assert pool.limit == 3
        tuner.adjust(share=0.05, bound=3, queued=5)
        assert pool.limit == 8
        tuner.adjust(share=0.4, bound=8, queued=5)  # between the thresholds: hold
        assert pool.limit == 8
        tuner.adjust(share=0.9, bound=8, queued=5)
        assert pool.limit == 7
        tuner.adjust(share=0.05, bound=0, queued=0)  # idle: back to the floor
        assert pool.limit == 2
        tuner.adjust(share=0.9, bound=2, queued=5)
        assert pool.limit == 2
    finally:
        tuner.stop(5)
        pool.shutdown(5)
