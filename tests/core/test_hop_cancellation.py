"""A departing client cancels its async view through any middleware, on the worker's loop.

Behind a sync middleware wrapping the chain, the view runs in a nested
async_to_sync: the hop must tell it the worker's loop (and that loop's pid),
or asgiref starts a private loop in another thread that never hears of the
disconnect.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.test import override_settings

from async_handler import AsyncDjangoApplication
from tests import concurrency_views as views
from tests.server import LiveServer
from tests.settings import MIDDLEWARE

KINDS = {
    "sync-only wrapping": "tests.concurrency_views.wrapping_middleware",
    "async-only": "tests.middleware.async_only",
    "dual": "tests.concurrency_views.DualMiddleware",
    "hook-style unknown": "tests.concurrency_views.UnknownSyncMiddleware",
    "hook-style known": "django.middleware.common.CommonMiddleware",
}


async def _until(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@pytest.fixture(params=[False, True], ids=["per-call", "thread-per-request"])
async def server_for(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    started: list[tuple[AsyncDjangoApplication, LiveServer, Any]] = []

    async def start(middleware: str) -> tuple[AsyncDjangoApplication, LiveServer]:
        settings = override_settings(
            ROOT_URLCONF="tests.concurrency_urls", MIDDLEWARE=[*MIDDLEWARE, middleware],
            ASYNC_HANDLER={"THREAD_PER_REQUEST": request.param})
        settings.enable()
        app = AsyncDjangoApplication()
        await app.startup(threads=4)
        server = await LiveServer.start(app)
        started.append((app, server, settings))
        return app, server

    yield start
    for app, server, settings in started:
        await server.stop()
        await app.shutdown()
        settings.disable()


@pytest.mark.parametrize("kind", KINDS)
async def test_disconnect_cancels_the_view_through(kind: str, server_for: Any) -> None:
    app, server = await server_for(KINDS[kind])
    views.CANCEL.clear()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /cancellable/ HTTP/1.1\r\nHost: t\r\n\r\n")
    await writer.drain()
    await _until(lambda: "loop" in views.CANCEL)
    # The view runs on the worker's own loop, in its thread.
    assert views.CANCEL["loop"] is asyncio.get_running_loop()
    assert views.CANCEL["thread"] == threading.get_ident()
    writer.close()
    await writer.wait_closed()
    await _until(lambda: views.CANCEL.get("cancelled"))
    assert app.pool is not None
    await _until(lambda: app.pool is not None and app.pool.busy == 0)
