"""Faults: clients that go away mid-request, and sync calls that never return.

A client that disconnects while its request is parked (a sync middleware
wrapping the chain, the view awaiting) or while a sync call of it runs (a
sync view, an ORM call of an async view) loses nothing and leaks nothing:
after 1,000 such disconnects on a real gunicorn worker, the pool is idle, the
loop's tasks and the worker's fds are back to where they were, and on
PostgreSQL no connection is left in a transaction, nor more than THREADS + 2.

A sync call that never returns keeps its thread, and only that one: other
requests still get threads.

Everything is awaited on what the server reports (tests/fault_views.py
counts events as they happen), with generous timeouts and no fixed sleeps,
so a loaded machine only makes the tests slower.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from django.conf import settings
from django.test import override_settings

from async_handler import AsyncDjangoApplication
from tests import fault_views
from tests.concurrency_support import APP, ConnectionWatch, prepare
from tests.server import Gunicorn, LiveServer

THREADS = 16  # the worker's default
DISCONNECTS = 1000
FD_MARGIN = 6
_dbs = itertools.count()

Stats = dict[str, Any]


async def _poll(fetch: Callable[[], Awaitable[Stats]], check: Callable[[Stats], bool],
                what: str, timeout: float = 90.0) -> Stats:
    """Fetch the server's numbers until `check` holds; fail, showing them, after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        seen = await fetch()
        if check(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what}; server saw {seen}")
        await asyncio.sleep(0.02)


async def _open(port: int, path: str, headers: dict[str, str] | None = None) -> Any:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode())
    await writer.drain()
    return writer


async def _leave(writers: list[Any]) -> None:
    """Half the clients close their socket (FIN), the others reset it (RST)."""
    for i, writer in enumerate(writers):
        if i % 2:
            writer.transport.abort()
        else:
            writer.close()
    for writer in writers:
        try:
            await writer.wait_closed()
        except OSError:
            pass


# -- disconnects, on a real gunicorn worker ------------------------------------


@dataclass
class Scenario:
    """One kind of disconnect: what runs, where the server is when the client leaves."""

    name: str
    path: str
    extra: str  # ASYNC_HANDLER_TEST_EXTRA (see tests/fault_settings.py)
    started: str  # the count that says the request has reached the awaited point
    batch: int  # requests left at once
    headers: dict[str, str] | None = None
    gated: bool = False  # blocked on the gate: released after the server saw the disconnect
    cancelled: str = "request_cancelled"  # the count that says the server saw it


SCENARIOS = [
    # Parked: the wrapping middleware's thread blocks on the loop, the view awaits.
    Scenario("parked", "/parked/?orm=1", "wrapping", "parked_started", 100,
             cancelled="parked_cancelled"),
    # Parked, and the client leaves before the middleware has called get_response.
    Scenario("parked-before-chain", "/parked/", "gated", "before_started", 50,
             headers={"X-Gate-Before": "1"}, gated=True),
    # A sync view running (inside a transaction), nothing parked.
    Scenario("sync-view", "/sync-hang/", "", "sync_started", 12, gated=True),
    # An async view's ORM call in progress (sync_to_async, as aget), inside a transaction.
    Scenario("orm-call", "/aget-hang/", "", "aget_started", 12, gated=True,
             cancelled="aget_cancelled"),
    # Parked and a sync view running below it.
    Scenario("parked-sync-view", "/sync-hang/", "wrapping", "sync_started", 12, gated=True),
]


class Worker:
    """A gunicorn worker serving tests.fault_views, and what it and its database report."""

    def __init__(self, server: Gunicorn, pg: Any, db: str | None, parked_self: int) -> None:
        self.server, self.pg, self.db = server, pg, db
        self.parked_self = parked_self  # a stats request behind a wrapping middleware is parked
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(force_close=True),
            timeout=aiohttp.ClientTimeout(total=60))

    async def stats(self) -> Stats:
        async with self.session.get(f"{self.server.url}/stats/") as reply:
            assert reply.status == 200, await reply.text()
            return dict(await reply.json())

    async def release(self) -> None:
        async with self.session.get(f"{self.server.url}/release/") as reply:
            assert reply.status == 200

    async def pg_states(self) -> list[str]:
        """The state of each client connection to the worker's database (pg_stat_activity)."""
        import psycopg

        async with await psycopg.AsyncConnection.connect(
                host=self.pg.host, port=self.pg.port, user="postgres", dbname="postgres",
                autocommit=True) as conn:
            cur = await conn.execute(
                "SELECT coalesce(state, '') FROM pg_stat_activity WHERE datname = %s "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()", (self.db,))
            return [row[0] for row in await cur.fetchall()]

    def idle(self, seen: Stats) -> bool:
        return (seen["busy"] == self.parked_self and seen["parked"] == self.parked_self
                and seen["queued"] == 0 and seen["threads"] <= seen["size"]
                and seen["idle_parkers"] <= seen["size"])


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, str], Any, str | None]]:
    if request.param == "sqlite":
        yield {"ASYNC_HANDLER_TEST_DB": os.environ["ASYNC_HANDLER_TEST_DB"]}, None, None
        return
    pg = request.getfixturevalue("postgres")
    db = f"faults_{next(_dbs)}"
    pg.create_database(db)
    yield pg.env(db), pg, db


@asynccontextmanager
async def _worker(scenario: Scenario,
                  backend: tuple[dict[str, str], Any, str | None]) -> AsyncIterator[Worker]:
    env_db, pg, db = backend
    env = {"DJANGO_SETTINGS_MODULE": "tests.fault_settings", **env_db,
           "ASYNC_HANDLER_TEST_EXTRA": scenario.extra}
    prepare(env)
    with Gunicorn("--workers", "1", "--timeout", "120", app=APP, env=env) as server:
        server.wait_ready("/stats/", timeout=60)
        worker = Worker(server, pg, db, parked_self=1 if scenario.extra else 0)
        try:
            yield worker
        finally:
            try:
                await worker.release()  # nothing stays blocked, whatever failed
            finally:
                await worker.session.close()


async def _one_batch(worker: Worker, scenario: Scenario, n: int, before: Stats) -> Stats:
    """`n` clients send the request, wait until the server is where it should be, and leave."""
    port = worker.server.port
    writers = await asyncio.gather(*(_open(port, scenario.path, scenario.headers)
                                     for _ in range(n)))
    target = before.get(scenario.started, 0) + n
    await _poll(worker.stats, lambda s: s.get(scenario.started, 0) >= target,
                f"{n} requests reach {scenario.started}")
    await _leave(writers)
    goal = before.get(scenario.cancelled, 0) + n
    seen = await _poll(worker.stats, lambda s: s.get(scenario.cancelled, 0) >= goal,
                       f"{n} cancellations seen by the server ({scenario.cancelled})")
    if scenario.gated:
        await worker.release()
    return seen


def _gone(before: Stats, after: Stats, name: str) -> int:
    return int(after.get(name, 0) - before.get(name, 0))


@pytest.mark.timeout(900)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_disconnects_lose_and_leak_nothing(
        scenario: Scenario, backend: tuple[dict[str, str], Any, str | None]) -> None:
    async with _worker(scenario, backend) as worker:
        # Warm up (threads, parkers, DB connections, lazily built state), then the baseline.
        seen = await _one_batch(worker, scenario, scenario.batch, await worker.stats())
        base = await _poll(worker.stats, worker.idle, "the pool idle after the warm-up")
        watch = ConnectionWatch(worker.pg, worker.db) if worker.pg else None
        if watch is not None:
            await watch.__aenter__()
        try:
            seen, done = base, 0
            while done < DISCONNECTS:
                n = min(scenario.batch, DISCONNECTS - done)
                seen = await _one_batch(worker, scenario, n, seen)
                done += n
        finally:
            if watch is not None:
                await watch.__aexit__()
        # Back to idle: no thread taken, parked or queued; spare threads within the size.
        seen = await _poll(worker.stats, worker.idle, "the pool idle after the disconnects")
        # The loop's tasks back to the baseline; no other thread left behind.
        others = base["os_threads"] - base["threads"] - base["parkers"]
        seen = await _poll(
            worker.stats,
            lambda s: (s["tasks"] <= base["tasks"] and s["cancelling"] == 0
                       and s["os_threads"] - s["threads"] - s["parkers"] <= others),
            f"tasks back to {base['tasks']}, threads besides the pool's to {others}")
        # No fd growth: each DB connection is closed within the settle interval.
        # The tuner keeps one schedstat file open per pool thread, so threads the
        # pool has made since the baseline (at most `size` in all) may add one each.
        def fds_back(s: dict[str, Any]) -> bool:
            made = max(0, s["threads"] - base["threads"])
            return bool(s["fds"] <= base["fds"] + FD_MARGIN + made)

        # Idle again as well: the settle that closes the DB connections borrows pool threads
        # for a moment, so "busy" is read from the same stats as the fd count.
        seen = await _poll(worker.stats, lambda s: fds_back(s) and worker.idle(s),
                           f"fds back to {base['fds']} + {FD_MARGIN}, the pool idle")
        # Nothing lost: each request left was cancelled on the server, once; each
        # released call ran to its end.
        assert seen["busy"] == worker.parked_self, seen
        assert _gone(base, seen, "request_cancelled") == DISCONNECTS, seen
        if scenario.cancelled != "request_cancelled":
            assert _gone(base, seen, scenario.cancelled) == DISCONNECTS, seen
        if scenario.started == "parked_started":
            assert _gone(base, seen, "parked_cancelled") == DISCONNECTS, seen
            assert seen.get("parked_finished", 0) == 0, seen
        for kind in ("sync", "aget"):
            seen = await _poll(worker.stats, lambda s, k=kind: s.get(f"{k}_started", 0)
                               == s.get(f"{k}_finished", 0), f"every {kind} call finished")
        if scenario.started == "before_started":
            # The chain below a middleware whose client left before it got there.
            assert seen.get("parked_finished", 0) == 0, seen
        if worker.pg is not None:
            assert watch is not None and watch.peak <= THREADS + 2, watch.peak
            states = await worker.pg_states()
            for _ in range(500):
                if "idle in transaction" not in states and len(states) <= THREADS + 2:
                    break
                await asyncio.sleep(0.05)
                states = await worker.pg_states()
            assert "idle in transaction" not in states, states
            assert len(states) <= THREADS + 2, states


# -- sync calls that never return, in process ---------------------------------


@pytest.fixture
async def fault_app() -> AsyncIterator[AsyncDjangoApplication]:
    """The handler serving tests.fault_views with 4 threads (adaptive, from a floor of 2)."""
    middleware = ["tests.fault_views.cancel_counter", *settings.MIDDLEWARE]
    with override_settings(ROOT_URLCONF="tests.fault_views", MIDDLEWARE=middleware):
        application = AsyncDjangoApplication()
        await application.startup(threads=4)
        try:
            yield application
        finally:
            fault_views.release_gate()
            await application.shutdown()


async def _local_stats() -> Stats:
    return dict(fault_views.COUNTS)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("hung", [["/sync-hang/"], ["/sync-hang/", "/aget-hang/", "/sync-hang/"]],
                         ids=["one", "three-of-four"])
async def test_hung_sync_calls_leave_threads_to_others(fault_app: AsyncDjangoApplication,
                                                       hung: list[str]) -> None:
    pool = fault_app.pool
    assert pool is not None and pool.size == 4
    server = await LiveServer.start(fault_app)
    timeout = aiohttp.ClientTimeout(total=120)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async def get(path: str) -> tuple[int, str]:
                async with session.get(server.url + path) as reply:
                    return reply.status, await reply.text()

            before = await _local_stats()
            stuck = [asyncio.ensure_future(get(path)) for path in hung]
            started = {k: before.get(k, 0) + sum(p == f"/{k[:-8]}-hang/" for p in hung)
                       for k in ("sync_started", "aget_started")}
            await _poll(_local_stats, lambda s: all(s.get(k, 0) >= v for k, v in started.items()),
                        "the hung calls running")
            assert pool.busy == len(hung)  # each hung call holds its thread, and only that
            # 50 sync and 50 async ORM requests at once, on the threads left.
            others = await asyncio.gather(*(get("/sync-orm/" if i % 2 else "/async-orm/")
                                            for i in range(100)))
            assert [status for status, _ in others] == [200] * 100, others[:3]
            assert not any(task.done() for task in stuck)  # still hung meanwhile
            fault_views.release_gate()
            results = await asyncio.gather(*stuck)
            assert [status for status, _ in results] == [200] * len(hung), results
    finally:
        fault_views.release_gate()
        await server.stop()
    await _poll(_local_stats, lambda s: pool.busy == 0 and pool.queued == 0
                and pool.parked == 0 and pool.threads <= pool.size, "the pool idle")
