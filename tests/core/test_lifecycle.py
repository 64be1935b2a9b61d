"""Startup and shutdown hooks, the shared client session, and the blocked-loop warning."""

from __future__ import annotations

import asyncio
import json
import logging
import threading

import aiohttp
import pytest
from django.test import override_settings

from async_handler import AsyncDjangoApplication, client, get_async_application
from tests import hooks, views
from tests.server import LiveServer


@override_settings(ASYNC_HANDLER={"STARTUP": ["tests.hooks.on_startup", "tests.hooks.sync_startup"],
                                  "SHUTDOWN": ["tests.hooks.on_shutdown"]})
async def test_startup_and_shutdown_hooks_run_on_the_loop() -> None:
    hooks.CALLS.clear()
    app = AsyncDjangoApplication()
    await app.startup(threads=1)
    assert hooks.CALLS[0] == ("startup", id(asyncio.get_running_loop()))
    assert hooks.CALLS[1][0] == "sync" and hooks.CALLS[1][1] != threading.get_ident()
    del hooks.CALLS[1]
    await app.shutdown()
    assert hooks.CALLS[1] == ("shutdown", id(asyncio.get_running_loop()))


async def test_shared_client_session_is_reused_and_closed(live_server: LiveServer,
                                                          app: AsyncDjangoApplication) -> None:
    target = f"{live_server.url}/async/"
    async with aiohttp.ClientSession() as session:
        ids = set()
        for _ in range(3):
            async with session.get(f"{live_server.url}/outbound/", params={"url": target}) as r:
                data = await r.json()
            assert data["status"] == 200 and data["text"] == "hello async"
            ids.add(data["session"])
    assert len(ids) == 1
    shared = client.session()
    assert id(shared) in ids and not shared.closed
    await client.close()
    assert shared.closed


async def test_client_session_under_a_plain_wsgi_call(live_server: LiveServer) -> None:
    """Off the worker each async view gets its own session, closed when the view returns."""
    import io

    from django.test import RequestFactory

    application = get_async_application()
    environ = RequestFactory().get("/outbound/", {"url": f"{live_server.url}/async/"}).environ
    environ["wsgi.input"] = io.BytesIO()

    def call() -> bytes:
        result = application(environ, lambda status, headers, exc=None: None)
        try:
            return b"".join(result)
        finally:
            result.close()

    body = json.loads(await asyncio.to_thread(call))
    assert body["status"] == 200 and body["text"] == "hello async"
    assert views.STATE["outbound_session"].closed


@override_settings(ASYNC_HANDLER={"SLOW_CALLBACK_WARNING": 0.2})
async def test_blocked_loop_is_reported_with_the_view(caplog: pytest.LogCaptureFixture) -> None:
    app = AsyncDjangoApplication()
    await app.startup(threads=1)
    server = await LiveServer.start(app)
    try:
        with caplog.at_level(logging.WARNING, logger="async_handler"):
            async with aiohttp.ClientSession() as session:
                async with session.get(server.url + "/blocks-loop/?s=0.6") as r:
                    assert r.status == 200
                async with session.get(server.url + "/async-sleep/?s=0.6") as r:
                    assert r.status == 200
        warnings = [r.getMessage() for r in caplog.records
                    if "Event loop blocked" in r.getMessage()]
        assert len(warnings) == 1
        assert "tests.views.blocks_loop serving GET /blocks-loop/" in warnings[0]
    finally:
        await server.stop()
        await app.shutdown()
