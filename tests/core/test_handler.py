"""AsyncDjangoApplication: called directly, behind aiohttp in process, and under gunicorn."""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from django.core import signals
from django.test import RequestFactory, override_settings

from async_handler import AsyncDjangoApplication, get_async_application
from tests import views
from tests.server import Gunicorn, LiveServer


async def test_direct_call_async_and_sync_views(app: AsyncDjangoApplication) -> None:
    """The handler called directly, with no server: both kinds of view answer."""
    factory = RequestFactory()
    for path, body in (("/async/", b"hello async"), ("/sync/", b"hello sync"),
                       ("/coroutine/", b"awaited coroutine")):
        async with app.request_scope():
            response = await app.get_response_async(factory.get(path))
        assert (response.status_code, response.content) == (200, body)
        response.close()


def test_wsgi_call_serves_sync_async_and_coroutine_views() -> None:
    """`application(environ, start_response)` is plain WSGI, async views included."""
    application = get_async_application()
    for path, body in (("/sync/", b"hello sync"), ("/async/", b"hello async"),
                       ("/coroutine/", b"awaited coroutine")):
        environ = RequestFactory().get(path).environ
        environ["wsgi.input"] = io.BytesIO()
        started: list[str] = []

        def start_response(status: str, headers: Any, exc: Any = None, *,
                           seen: list[str] = started) -> None:
            seen.append(status)

        result = application(environ, start_response)
        try:
            assert b"".join(result) == body
        finally:
            result.close()
        assert started == ["200 OK"]


async def test_async_views_run_on_the_loop_concurrently(live_server: LiveServer) -> None:
    """Point 3 in process: 200 concurrent one-second sleeps share one loop."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one() -> int:
            async with session.get(live_server.url + "/async-sleep/?s=1") as r:
                await r.read()
                return r.status

        start = time.monotonic()
        statuses = await asyncio.gather(*(one() for _ in range(200)))
        elapsed = time.monotonic() - start
    assert statuses == [200] * 200
    assert elapsed < 1.8


async def test_sync_code_runs_on_pool_threads_pinned_per_request(
        live_server: LiveServer, app: AsyncDjangoApplication) -> None:
    loop_thread = threading.get_ident()
    async with aiohttp.ClientSession() as session:
        async with session.get(live_server.url + "/sync-thread/") as r:
            data = await r.json()
        assert data["thread"] != loop_thread
        async with session.get(live_server.url + "/async-threads/") as r:
            data = await r.json()
        assert len(set(data["threads"])) == 1 and data["threads"][0] != data["loop_thread"]
        async with session.get(live_server.url + "/async-atomic/") as r:
            data = await r.json()
        assert data == {"in_atomic_block": True, "rows_after_rollback": 0}


async def test_async_view_answers_while_sync_view_sleeps(live_server: LiveServer) -> None:
    async with aiohttp.ClientSession() as session:
        slow = asyncio.ensure_future(session.get(live_server.url + "/sync-sleep/?s=1.5"))
        await asyncio.sleep(0.2)
        start = time.monotonic()
        async with session.get(live_server.url + "/async/") as r:
            assert r.status == 200
        assert time.monotonic() - start < 0.5
        async with await slow as r:
            assert await r.text() == "sync slept"


async def test_pool_size_bounds_sync_concurrency() -> None:
    with override_settings(ASYNC_HANDLER={"THREADS": 2}):
        application = AsyncDjangoApplication()
        await application.startup(threads=8)
    assert application.pool is not None and application.pool.size == 2
    server = await LiveServer.start(application)
    try:
        async with aiohttp.ClientSession() as session:
            async def one() -> None:
                async with session.get(server.url + "/sync-sleep/?s=0.5") as r:
                    assert r.status == 200

            start = time.monotonic()
            await asyncio.gather(*(one() for _ in range(3)))
            assert time.monotonic() - start >= 1.0
    finally:
        await server.stop()
        await application.shutdown()


@pytest.mark.parametrize("adaptive", [True, False])
async def test_sync_views_that_wait_get_every_thread(adaptive: bool) -> None:
    # Adaptive or not, blocked sync views must not be held to the tuner's floor.
    with override_settings(ASYNC_HANDLER={"THREADS": 6, "ADAPTIVE_THREADS": adaptive}):
        application = AsyncDjangoApplication()
        await application.startup()
    assert application.pool is not None
    assert application.pool.limit == (2 if adaptive else 6)
    server = await LiveServer.start(application)
    try:
        async with aiohttp.ClientSession() as session:
            async def one() -> None:
                async with session.get(server.url + "/sync-sleep/?s=0.6") as r:
                    assert r.status == 200

            start = time.monotonic()
            await asyncio.gather(*(one() for _ in range(6)))
            # Two at a time would take 1.8 s.
            assert time.monotonic() - start < 1.5
    finally:
        await server.stop()
        await application.shutdown()


@pytest.mark.parametrize("path", ["/sync/", "/async/"])
@override_settings(DEBUG=True)
async def test_debug_technical_pages(path: str) -> None:
    application = AsyncDjangoApplication()
    await application.startup(threads=2)
    server = await LiveServer.start(application)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + path, headers={"X-View": "raise"}) as r:
                assert r.status == 500 and "Traceback" in await r.text()
            async with session.get(server.url + "/missing/") as r:
                assert r.status == 404 and "Using the URLconf" in await r.text()
    finally:
        await server.stop()
        await application.shutdown()


async def test_request_signals_fire_once_and_finished_after_stream(
        live_server: LiveServer) -> None:
    events: list[str] = []

    def started(**kwargs: Any) -> None:
        events.append("started")

    def finished(**kwargs: Any) -> None:
        events.append("finished")

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/sync/", "/async/"):
                events.clear()
                async with session.get(live_server.url + path) as r:
                    await r.read()
                await _until(lambda: len(events) >= 2)
                assert events == ["started", "finished"], path
            events.clear()
            async with session.get(live_server.url + "/stream-async/?n=3&d=0.2") as r:
                await r.content.readline()
                assert events == ["started"]
                await r.read()
            await _until(lambda: len(events) >= 2)
            assert events == ["started", "finished"]
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


async def test_response_close_is_always_called(live_server: LiveServer) -> None:
    views.STATE.pop("closed", None)
    async with aiohttp.ClientSession() as session:
        async with session.get(live_server.url + "/tracked/") as r:
            assert await r.text() == "tracked"
    await _until(lambda: views.STATE.get("closed") == 1)


def _db_fds(pid: int, db: str) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) == db:
                count += 1
        except OSError:
            pass
    return count


def test_persistent_connections_are_reused_not_leaked(gunicorn_env: dict[str, str]) -> None:
    """CONN_MAX_AGE > 0: one connection per pool thread, however many requests (ticket 33497)."""
    env = dict(gunicorn_env, ASYNC_HANDLER_TEST_CONN_MAX_AGE="60")
    with Gunicorn("--threads", "2", env=env) as server:
        server.wait_ready()
        ids = set()
        for _ in range(30):
            with _urlopen(server.url + "/db-connection/") as r:
                ids.add(json.loads(r.read())["connection"])
        for _ in range(10):
            with _urlopen(server.url + "/async-threads/") as r:
                assert r.status == 200
        assert len(ids) <= 2
        (pid,) = server.worker_pids()
        assert _db_fds(pid, env["ASYNC_HANDLER_TEST_DB"]) <= 2


def test_gunicorn_worker_runs_200_concurrent_async_views_in_one_process() -> None:
    """Point 3 under the real worker: 200 × asyncio.sleep(1) in well under 2 s."""
    with Gunicorn("--workers", "1") as server:
        server.wait_ready()

        async def run() -> tuple[list[int], float]:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                async def one() -> int:
                    async with session.get(server.url + "/async-sleep/?s=1") as r:
                        await r.read()
                        return r.status

                start = time.monotonic()
                statuses = await asyncio.gather(*(one() for _ in range(200)))
                return list(statuses), time.monotonic() - start

        statuses, elapsed = asyncio.run(run())
        assert statuses == [200] * 200
        assert elapsed < 1.8


def _urlopen(url: str) -> Any:
    import urllib.request

    return urllib.request.urlopen(url, timeout=10)


async def test_unknown_signal_receivers_run_off_the_loop(live_server: LiveServer) -> None:
    """A request_started/finished receiver doing ORM work must not hit SynchronousOnlyOperation."""
    from tests.models import Item

    threads: dict[str, int] = {}

    def started(**kwargs: Any) -> None:
        Item.objects.count()
        threads["started"] = threading.get_ident()

    def finished(**kwargs: Any) -> None:
        Item.objects.count()
        threads["finished"] = threading.get_ident()

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(live_server.url + "/async/") as r:
                assert r.status == 200
        await _until(lambda: len(threads) == 2)
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    loop_thread = threading.get_ident()
    assert threads["started"] != loop_thread and threads["finished"] != loop_thread
    assert threads["started"] == threads["finished"]
