"""200 realistic async views at once behind each ASGI server, DB connections bounded.

As tests/test_concurrency.py does for the worker: a logged-in `await
request.auser()` then a sleep, 200 requests at once, and the server's own
count of views in flight together. A request that kept a thread while it
awaited would cap that count at THREADS (16).
"""

from __future__ import annotations

import os
from typing import Any

import django
import pytest

from tests.asgi.servers import SERVERS, ASGIServer
from tests.concurrency_support import ConnectionWatch, burst, prepare, stats

pytestmark = pytest.mark.skipif(django.VERSION < (5, 0), reason="request.auser() is Django 5.0+")

THREADS = 16  # the default
N = 200
SLEEP = 2.0


async def _run(name: str, env: dict[str, str],
               pg: Any = None, db: str | None = None) -> tuple[Any, dict[str, Any], int]:
    session = prepare(env)
    with ASGIServer(name, env=env) as server:
        server.wait_ready("/stats/")
        watch = ConnectionWatch(pg, db) if pg is not None and db is not None else None
        if watch is not None:
            await watch.__aenter__()
        try:
            result = await burst(f"{server.url}/auser-sleep/?s={SLEEP}", N,
                                 cookies={"sessionid": session})
        finally:
            if watch is not None:
                await watch.__aexit__()
        seen = await stats(server.url)
    return result, seen, watch.peak if watch is not None else 0


@pytest.mark.parametrize("name", sorted(SERVERS))
async def test_auser_then_sleep_sqlite(name: str) -> None:
    env = {"DJANGO_SETTINGS_MODULE": "tests.concurrency_settings",
           "ASYNC_HANDLER_TEST_DB": os.environ["ASYNC_HANDLER_TEST_DB"]}
    result, seen, _ = await _run(name, env)
    assert result.errors == [] and result.ok == N, (result.errors[:3], result.statuses[:5])
    assert seen["peak"] >= 100, seen
    assert seen["threads"] <= THREADS, seen


async def test_auser_then_sleep_postgres_connections_bounded(postgres: Any) -> None:
    """On PostgreSQL behind uvicorn: every request answered, at most THREADS + 2 connections."""
    db = "asgi_concurrency"
    postgres.create_database(db)
    env = {"DJANGO_SETTINGS_MODULE": "tests.pg_settings", **postgres.env(db)}
    result, seen, connections = await _run("uvicorn", env, postgres, db)
    assert result.errors == [] and result.ok == N, (result.errors[:3], result.statuses[:5])
    assert seen["peak"] >= 100, seen
    assert 0 < connections <= THREADS + 2, connections
