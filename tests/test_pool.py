"""The pinned thread pool: one thread per request, bounded, FIFO, hooks on bind and release."""

from __future__ import annotations

import threading
import time
from concurrent.futures import wait

import pytest

from async_handler.pool import ThreadPool


def test_calls_of_one_executor_share_a_thread_in_order() -> None:
    pool = ThreadPool(4)
    try:
        executor = pool.executor()
        futures = [executor.submit(threading.get_ident) for _ in range(20)]
        assert len({f.result(5) for f in futures}) == 1
        order: list[int] = []
        futures = [executor.submit(order.append, i) for i in range(50)]
        wait(futures, 5)
        assert order == list(range(50))
        executor.shutdown()
    finally:
        pool.shutdown(5)


def test_threads_are_created_lazily_and_reused() -> None:
    pool = ThreadPool(4)
    try:
        assert pool.threads == 0
        for _ in range(10):
            executor = pool.executor()
            executor.submit(lambda: None).result(5)
            executor.shutdown()
            deadline = time.monotonic() + 5
            while pool.busy and time.monotonic() < deadline:
                time.sleep(0.001)
        assert pool.threads == 1
        unused = pool.executor()
        unused.shutdown()
        assert pool.threads == 1
    finally:
        pool.shutdown(5)


def test_requests_beyond_size_wait_in_order() -> None:
    pool = ThreadPool(1)
    gate = threading.Event()
    try:
        first = pool.executor()
        blocked = first.submit(gate.wait, 5)
        waiting = [pool.executor() for _ in range(3)]
        done: list[int] = []
        futures = [ex.submit(done.append, i) for i, ex in enumerate(waiting)]
        for ex in waiting:
            ex.shutdown()
        time.sleep(0.05)
        assert done == [] and pool.queued == 3
        gate.set()
        first.shutdown()
        wait(futures, 5)
        assert blocked.result(5) is True and done == [0, 1, 2]
    finally:
        pool.shutdown(5)


def test_bind_and_release_hooks_run_on_the_pool_thread() -> None:
    events: list[tuple[str, int]] = []
    pool = ThreadPool(2, on_bind=lambda: events.append(("bind", threading.get_ident())),
                      on_release=lambda: events.append(("release", threading.get_ident())))
    try:
        executor = pool.executor()
        ident = executor.submit(threading.get_ident).result(5)
        executor.submit(threading.get_ident).result(5)
        executor.shutdown()
        time.sleep(0.05)
        # Released without waking the thread: the release hook is owed...
        assert events == [("bind", ident)]
        pool.settle()
        deadline = time.monotonic() + 5
        while len(events) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        # ...and paid when the pool settles idle threads.
        assert events == [("bind", ident), ("release", ident)]
        nxt = pool.executor()
        assert nxt.submit(threading.get_ident).result(5) == ident
        nxt.shutdown()
        assert events[2:] == [("bind", ident)]
    finally:
        pool.shutdown(5)


def test_owed_release_hook_runs_before_the_next_bind() -> None:
    events: list[str] = []
    pool = ThreadPool(1, on_bind=lambda: events.append("bind"),
                      on_release=lambda: events.append("release"))
    try:
        for _ in range(3):
            executor = pool.executor()
            executor.submit(lambda: None).result(5)
            executor.shutdown()
        assert events == ["bind", "release", "bind", "release", "bind"]
    finally:
        pool.shutdown(5)
    assert events == ["bind", "release", "bind", "release", "bind", "release"]


def test_submit_after_shutdown_is_refused() -> None:
    pool = ThreadPool(1)
    try:
        executor = pool.executor()
        executor.shutdown()
        with pytest.raises(RuntimeError):
            executor.submit(lambda: None)
    finally:
        pool.shutdown(5)


def test_exceptions_reach_the_caller_and_the_thread_survives() -> None:
    pool = ThreadPool(1)
    try:
        executor = pool.executor()
        with pytest.raises(ZeroDivisionError):
            executor.submit(lambda: 1 / 0).result(5)
        assert executor.submit(lambda: 42).result(5) == 42
        executor.shutdown()
    finally:
        pool.shutdown(5)
