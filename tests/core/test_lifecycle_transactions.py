"""What keeps a request on one thread between its sync calls: open transactions, and an opt-in.

A transaction entered in one sync call and left in a later one (a sync
middleware's process_request and process_response) must stay on one thread
and connection and be all-or-nothing. Thread-local state set in one call and
read in a later one is kept only with THREAD_PER_REQUEST.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from django.test import override_settings

from async_handler import AsyncDjangoApplication
from tests.models import Item
from tests.server import LiveServer
from tests.settings import MIDDLEWARE


async def _serve(extra: str, **handler: Any) -> tuple[AsyncDjangoApplication, LiveServer, Any]:
    settings = override_settings(ROOT_URLCONF="tests.concurrency_urls",
                                 MIDDLEWARE=[*MIDDLEWARE, extra], ASYNC_HANDLER=handler)
    settings.enable()
    app = AsyncDjangoApplication()
    await app.startup(threads=4)
    return app, await LiveServer.start(app), settings


@pytest.fixture
async def transactions() -> AsyncIterator[tuple[AsyncDjangoApplication, LiveServer]]:
    app, server, settings = await _serve("tests.concurrency_views.TransactionMiddleware")
    try:
        yield app, server
    finally:
        await server.stop()
        await app.shutdown()
        settings.disable()


async def _count(name: str) -> int:
    return await Item.objects.filter(name=name).acount()


@pytest.mark.parametrize("outcome", ["ok", "fail"])
async def test_a_transaction_across_calls_stays_on_one_thread_and_is_atomic(
        transactions: Any, outcome: str) -> None:
    app, server = transactions
    n = f"{outcome}-{id(server)}"
    async with aiohttp.ClientSession() as session:
        async def others() -> None:
            # Other requests take whichever threads are free meanwhile.
            for _ in range(10):
                await asyncio.gather(*(session.get(f"{server.url}/sync-hello/")
                                       for _ in range(4)))

        background = asyncio.ensure_future(others())
        async with session.get(f"{server.url}/write-in-transaction/?n={n}&s=0.3",
                               headers={"X-Atomic": outcome}) as reply:
            assert reply.status == 200
            seen = await reply.json()
            same = reply.headers["X-Same-Thread"]
        await background
    # The view's ORM calls ran inside the middleware's transaction, on its thread.
    assert seen["atomic"] is True and same == "True"
    assert await _count(f"tx-{n}") == (2 if outcome == "ok" else 0)


async def test_a_held_transaction_does_not_stop_other_requests(transactions: Any) -> None:
    app, server = transactions
    async with aiohttp.ClientSession() as session:
        held = asyncio.ensure_future(session.get(
            f"{server.url}/write-in-transaction/?n=held&s=2", headers={"X-Atomic": "ok"}))
        assert app.pool is not None
        while not app.pool.busy:
            await asyncio.sleep(0.01)
        for _ in range(20):
            async with session.get(f"{server.url}/sync-hello/") as reply:
                assert reply.status == 200
        reply = await held
        assert reply.status == 200 and reply.headers["X-Same-Thread"] == "True"
        reply.release()
    assert await _count("tx-held") == 2


@pytest.mark.parametrize("per_request", [True])
async def test_thread_local_state_is_kept_with_thread_per_request(per_request: bool) -> None:
    app, server, settings = await _serve("tests.concurrency_views.ThreadLocalMiddleware",
                                         THREAD_PER_REQUEST=per_request)
    try:
        async with aiohttp.ClientSession() as session:
            async def one(i: int) -> str:
                async with session.get(f"{server.url}/thread-local/",
                                       headers={"X-Marker": str(i)}) as reply:
                    return await reply.text()

            seen = await asyncio.gather(*(one(i) for i in range(40)))
        assert seen == [str(i) for i in range(40)]
    finally:
        await server.stop()
        await app.shutdown()
        settings.disable()
