"""Realistic async views run hundreds at once on one worker, with DB connections bounded.

Each test runs the real gunicorn worker with default settings against SQLite
and a real PostgreSQL, fires 200 requests at once, and asserts what the
server saw: how many views were in flight together, and how many database
connections the worker held. A request that kept its thread while awaiting
would cap the views in flight at THREADS (16).
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.concurrency_support import (
    UPSTREAM,
    ConnectionWatch,
    burst,
    gunicorn,
    prepare,
    stats,
    upstream,
)

THREADS = 16  # the default
N = 200
SLEEP = 2.0  # long enough that 200 requests overlap even on a loaded machine
_dbs = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """The environment for tests.concurrency_settings (SQLite) or tests.pg_settings."""
    if request.param == "sqlite":
        env = {"DJANGO_SETTINGS_MODULE": "tests.concurrency_settings",
               "ASYNC_HANDLER_TEST_DB": os.environ["ASYNC_HANDLER_TEST_DB"]}
        yield {"env": env, "pg": None, "db": None}
        return
    pg = request.getfixturevalue("postgres")
    db = f"concurrency_{next(_dbs)}"
    pg.create_database(db)
    yield {"env": {"DJANGO_SETTINGS_MODULE": "tests.pg_settings", **pg.env(db)},
           "pg": pg, "db": db}


async def _run(backend: dict[str, Any], path: str, extra: str = "",
               env: dict[str, str] | None = None) -> tuple[Any, dict[str, Any], int]:
    full = dict(backend["env"], ASYNC_HANDLER_TEST_EXTRA=extra, **(env or {}))
    session = prepare(full)
    with gunicorn(full) as server:
        watch = ConnectionWatch(backend["pg"], backend["db"]) if backend["pg"] else None
        if watch is not None:
            await watch.__aenter__()
        try:
            result = await burst(server.url + path, N, cookies={"sessionid": session})
        finally:
            if watch is not None:
                await watch.__aexit__()
        seen = await stats(server.url)
    return result, seen, watch.peak if watch else 0


def _check(result: Any, seen: dict[str, Any], connections: int) -> None:
    assert result.errors == [] and result.ok == N, (result.errors[:3], result.statuses[:5])
    # Pinned to a thread while awaiting, no more than THREADS views could overlap.
    assert seen["peak"] >= 100, seen
    assert connections <= THREADS + 2, connections


async def test_logged_in_auser_then_sleep(backend: dict[str, Any]) -> None:
    result, seen, conns = await _run(backend, f"/auser-sleep/?s={SLEEP}")
    _check(result, seen, conns)
    assert all('"concurrency"' in body for body in result.bodies)


async def test_aget_sleep_acount(backend: dict[str, Any]) -> None:
    _check(*await _run(backend, f"/orm-sleep/?s={SLEEP}"))


async def test_aget_then_upstream_call(backend: dict[str, Any]) -> None:
    async with upstream(SLEEP) as url:
        result, seen, conns = await _run(backend, f"/orm-upstream/?upstream={url}")
    _check(result, seen, conns)
    assert all("upstream" in body for body in result.bodies)
    # The shared client session does not queue calls beyond aiohttp's default 100.
    assert UPSTREAM["peak"] >= 150, UPSTREAM


async def test_unknown_sync_middleware_and_started_receiver(backend: dict[str, Any]) -> None:
    result, seen, conns = await _run(backend, f"/auser-sleep/?s={SLEEP}", "mixin,receiver")
    _check(result, seen, conns)
    assert seen["received"] >= N  # the receiver ran for every request


async def test_sync_middleware_wrapping_the_chain(backend: dict[str, Any]) -> None:
    result, seen, conns = await _run(backend, f"/auser-sleep/?s={SLEEP}", "wrapping")
    _check(result, seen, conns)
    assert all('"concurrency"' in body for body in result.bodies)
    # The middleware's frames were parked apart from the running threads; once
    # done, at most THREADS parked threads stay idle (the stats request is parked).
    assert seen["parked"] == 1 and seen["parkers"] <= THREADS + 1, seen
    assert seen["threads"] <= THREADS, seen


@pytest.mark.parametrize("conf", ["max_age_0", "max_age_60", "pool"])
async def test_postgres_connections_bounded_by_the_pool(postgres: Any, conf: str) -> None:
    db = f"bound_{conf}"
    postgres.create_database(db)
    env = {"DJANGO_SETTINGS_MODULE": "tests.pg_settings", **postgres.env(db),
           "ASYNC_HANDLER_TEST_CONN_MAX_AGE": "60" if conf == "max_age_60" else "0",
           "ASYNC_HANDLER_PG_POOL": "4" if conf == "pool" else ""}
    session = prepare(env)
    watch = ConnectionWatch(postgres, db)
    with gunicorn(env) as server:
        pids: list[set[int]] = []
        for _ in range(2):
            async with watch:
                result = await burst(server.url + "/auser-sleep/?s=1", N,
                                     cookies={"sessionid": session})
            assert result.errors == [] and result.ok == N, result.errors[:3]
            pids.append(set(await watch.count()))
        assert watch.peak <= (4 if conf == "pool" else THREADS + 2), watch.peak
        if conf == "max_age_60":
            # Persistent connections are kept and reused by the second burst.
            assert pids[0] and pids[0] & pids[1], pids
        if conf != "max_age_60":
            # No connection outlives the requests by more than the settle interval (1 s);
            # a pool keeps its idle connections, up to its size, by design.
            keep = 4 if conf == "pool" else 0
            for _ in range(200):
                if len(await watch.count()) <= keep:
                    break
                await asyncio.sleep(0.05)
            assert len(await watch.count()) <= keep
