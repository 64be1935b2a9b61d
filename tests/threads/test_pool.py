"""The thread pool: a request borrows a thread per run of calls, in order, and gives it back."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, wait
from typing import Any, Callable

import pytest

from async_handler.threads import ThreadPool


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.002)


@pytest.fixture
def pool() -> Any:
    pools: list[ThreadPool] = []

    def make(size: int = 4, **options: Any) -> ThreadPool:
        pools.append(ThreadPool(size, **options))
        return pools[-1]

    yield make
    for p in pools:
        p.shutdown(5)


def test_calls_of_one_request_run_in_order_one_at_a_time(pool: Any) -> None:
    p = pool(4, floor=None)
    executor = p.executor()
    running, peak, order = [0], [0], []

    def call(i: int) -> None:
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        time.sleep(0.001)
        order.append(i)
        running[0] -= 1

    wait([executor.submit(call, i) for i in range(50)], 10)
    assert order == list(range(50)) and peak[0] == 1
    executor.shutdown()


def test_a_request_holds_no_thread_between_calls(pool: Any) -> None:
    p = pool(2)
    executor = p.executor()
    executor.submit(lambda: None).result(5)
    _until(lambda: p.busy == 0)
    # Another request takes the thread while the first one is still live.
    other = p.executor()
    assert other.submit(threading.get_ident).result(5)
    assert executor.submit(lambda: "again").result(5) == "again"
    executor.shutdown()
    other.shutdown()
    assert p.threads == 1


def test_must_stay_holds_the_thread_until_it_says_otherwise(pool: Any) -> None:
    open_transaction = threading.local()
    p = pool(4, must_stay=lambda: getattr(open_transaction, "on", False))
    executor = p.executor()

    def begin() -> int:
        open_transaction.on = True
        return threading.get_ident()

    def end() -> int:
        open_transaction.on = False
        return threading.get_ident()

    first = executor.submit(begin).result(5)
    assert executor.held and p.busy == 1
    # Others keep running meanwhile, on other threads.
    others = [p.executor() for _ in range(3)]
    assert all(o.submit(threading.get_ident).result(5) != first for o in others)
    assert executor.submit(threading.get_ident).result(5) == first
    assert executor.submit(end).result(5) == first
    _until(lambda: not executor.held)
    for ex in [executor, *others]:
        ex.shutdown()
    _until(lambda: p.busy == 0)


def test_a_sticky_pool_keeps_one_thread_per_request(pool: Any) -> None:
    p = pool(4, sticky=True)
    executor = p.executor()
    idents = {executor.submit(threading.get_ident).result(5) for _ in range(10)}
    assert len(idents) == 1 and p.busy == 1
    executor.shutdown()
    _until(lambda: p.busy == 0)


def test_requests_beyond_the_limit_wait_in_order(pool: Any) -> None:
    p = pool(1)
    gate = threading.Event()
    first = p.executor()
    blocked = first.submit(gate.wait, 5)
    waiting = [p.executor() for _ in range(3)]
    done: list[int] = []
    futures = [ex.submit(done.append, i) for i, ex in enumerate(waiting)]
    assert done == [] and p.queued == 3
    gate.set()
    wait(futures, 5)
    assert blocked.result(5) is True and done == [0, 1, 2]
    for ex in [first, *waiting]:
        ex.shutdown()


def test_hooks_follow_the_requests_that_used_a_thread(pool: Any) -> None:
    events: list[str] = []
    p = pool(1, on_bind=lambda: events.append("bind"),
             on_release=lambda: events.append("release"),
             on_switch=lambda: events.append("switch"))
    a, b = p.executor(), p.executor()
    a.submit(lambda: None).result(5)
    b.submit(lambda: None).result(5)  # a is still live: the thread switches
    a.submit(lambda: None).result(5)  # a has used it already: no hook
    assert events == ["bind", "switch"]
    a.shutdown()
    b.shutdown()
    # The last user has ended: the release hook is owed, paid when the pool settles.
    _until(lambda: p.busy == 0)
    assert events == ["bind", "switch"]
    p.settle()
    _until(lambda: events[-1:] == ["release"])
    c = p.executor()
    c.submit(lambda: None).result(5)
    c.shutdown()
    assert events == ["bind", "switch", "release", "bind"]


def test_an_owed_release_runs_before_the_next_bind(pool: Any) -> None:
    events: list[str] = []
    p = pool(1, on_bind=lambda: events.append("bind"),
             on_release=lambda: events.append("release"))
    for _ in range(3):
        executor = p.executor()
        executor.submit(lambda: None).result(5)
        executor.shutdown()
    assert events == ["bind", "release", "bind", "release", "bind"]


def test_submit_after_shutdown_is_refused_and_errors_reach_the_caller(pool: Any) -> None:
    p = pool(1)
    executor = p.executor()
    with pytest.raises(ZeroDivisionError):
        executor.submit(lambda: 1 / 0).result(5)
    assert executor.submit(lambda: 42).result(5) == 42
    executor.shutdown()
    with pytest.raises(RuntimeError):
        executor.submit(lambda: None)


def test_a_parked_thread_lets_another_run_and_extra_threads_retire(pool: Any) -> None:
    p = pool(1, floor=None)
    release = threading.Event()
    parked_in: Future[int] = Future()

    def park_here() -> int:
        thread: Any = threading.current_thread()
        p.park(thread)
        parked_in.set_result(1)
        release.wait(5)
        p.unpark(thread)
        return threading.get_ident()

    blocker = p.executor()
    first = blocker.submit(park_here)
    parked_in.result(5)
    assert p.parked == 1
    # The only thread is parked, so a second request gets a second thread.
    other = p.executor()
    assert other.submit(lambda: "ran").result(5) == "ran"
    assert p.threads == 2
    release.set()
    first.result(5)
    for ex in (blocker, other):
        ex.shutdown()
    _until(lambda: p.threads == 1 and p.busy == 0)


def test_parked_calls_run_apart_and_idle_parkers_are_capped(pool: Any) -> None:
    p = pool(2, floor=None)
    gate = threading.Event()
    names: list[str] = []

    def blocked() -> None:
        names.append(threading.current_thread().name)
        gate.wait(5)

    futures = [p.parking.submit(blocked) for _ in range(6)]
    _until(lambda: len(names) == 6)
    assert p.parked == 6 and p.threads == 0 and all("parked" in n for n in names)
    # Parked calls take no running thread.
    ex = p.executor()
    assert ex.submit(lambda: "ran").result(5) == "ran"
    ex.shutdown()
    gate.set()
    wait(futures, 5)
    _until(lambda: p.parked == 0 and p.parkers == 2)
