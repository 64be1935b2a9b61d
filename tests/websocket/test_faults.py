"""Clients that vanish or stop answering pings cancel their view; sockets that used the ORM
hold no pool thread while they wait; nothing leaks."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from async_handler import AsyncDjangoApplication
from tests import ws_views
from tests.server import LiveServer
from tests.ws_support import close_raw, open_raw, until


async def test_a_client_that_vanishes_cancels_its_view(live_server: LiveServer,
                                                       app: AsyncDjangoApplication) -> None:
    ws_views.STATE["cancelled"] = 0
    baseline = len(asyncio.all_tasks())
    sockets = [await open_raw(live_server.port, "/ws/cancellable/") for _ in range(5)]
    for reader, _ in sockets:
        await reader.readexactly(7)  # the "ready" text frame: 0x81 0x05 ready
    for _, writer in sockets:
        await close_raw(writer)  # no close frame: the TCP connection just ends
    await until(lambda: ws_views.STATE["cancelled"] == 5, what="5 views cancelled")
    await until(lambda: len(asyncio.all_tasks()) <= baseline, what="tasks gone")
    assert app.pool is not None and app.pool.busy == 0


async def test_a_client_that_stops_answering_pings_is_dropped_and_its_view_cancelled(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    ws_views.STATE["cancelled"] = 0
    # autoping=False: the client reads pings as messages and never answers them.
    url = f"{live_server.url}/ws/cancellable-heartbeat/"
    async with client.ws_connect(url, autoping=False) as ws:
        assert await ws.receive_str() == "ready"
        msg = await ws.receive(timeout=10)
        assert msg.type is aiohttp.WSMsgType.PING
        await until(lambda: ws_views.STATE["cancelled"] == 1, what="view cancelled")
        while msg.type is aiohttp.WSMsgType.PING:
            msg = await ws.receive(timeout=10)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSE)


async def test_a_reading_view_sees_an_unresponsive_client_end_with_1006(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    ws_views.STATE.pop("heartbeat_end", None)
    async with client.ws_connect(f"{live_server.url}/ws/heartbeat/", autoping=False) as ws:
        assert await ws.receive_str() == "ready"
        await until(lambda: "heartbeat_end" in ws_views.STATE, what="the view's loop ended")
    assert ws_views.STATE["heartbeat_end"] == 1006


async def test_a_client_that_answers_pings_stays(live_server: LiveServer,
                                                 client: aiohttp.ClientSession) -> None:
    ws_views.STATE.pop("heartbeat_end", None)
    async with client.ws_connect(f"{live_server.url}/ws/heartbeat/", autoping=False) as ws:
        assert await ws.receive_str() == "ready"
        for _ in range(3):  # three heartbeats, each answered
            msg = await ws.receive(timeout=10)
            assert msg.type is aiohttp.WSMsgType.PING
            await ws.pong(msg.data)
        await ws.send_str("still here")
        msg = await ws.receive(timeout=10)
        while msg.type is aiohttp.WSMsgType.PING:
            await ws.pong(msg.data)
            msg = await ws.receive(timeout=10)
        assert msg.data == "still here"
        assert "heartbeat_end" not in ws_views.STATE


async def test_sockets_that_used_the_orm_hold_no_pool_thread_while_they_wait(
        live_server: LiveServer, client: aiohttp.ClientSession,
        app: AsyncDjangoApplication) -> None:
    """Three times as many sockets as threads each made an ORM call and wait on the client;
    the pool is idle, a sync view is served, and every socket still answers."""
    assert app.pool is not None
    n = 3 * app.pool.size
    sockets = [await client.ws_connect(f"{live_server.url}/ws/orm/") for _ in range(n)]
    try:
        for i, ws in enumerate(sockets):
            await ws.send_str(f"m{i}")
            reply = await ws.receive_json()
            assert reply["message"] == f"m{i}"
        await until(lambda: app.pool.busy == 0, what="an idle pool")  # threads hand back late
        async with client.get(f"{live_server.url}/sync/") as response:
            assert (response.status, await response.text()) == (200, "hello sync")
        for ws in sockets:
            await ws.send_str("again")
            assert (await ws.receive_json())["message"] == "again"
    finally:
        for ws in sockets:
            await ws.close()


async def test_a_client_that_never_reads_is_dropped_past_the_send_timeout(
        live_server: LiveServer, app: AsyncDjangoApplication,
        caplog: pytest.LogCaptureFixture) -> None:
    """The send buffer is bounded: the view's sends wait once it is full, and a client that
    leaves it full for send_timeout (0.5 s on this view) is dropped, its view cancelled."""
    ws_views.STATE.pop("flood_end", None)
    ws_views.STATE["flood_sent"] = 0
    reader, writer = await open_raw(live_server.port, "/ws/flood/")
    try:
        await until(lambda: ws_views.STATE.get("flood_end") in ("cancelled", "disconnected 1006"),
                    what="view dropped")
    finally:
        await close_raw(writer)
    assert ws_views.STATE["flood_sent"] > 0
    assert any("read nothing for 0.5 s" in r.getMessage() for r in caplog.records)
    assert app.pool is not None and app.pool.busy == 0


@pytest.mark.parametrize("before", [b"", b"\x81\x82abcd\x09\x0b"],
                         ids=["first frame", "after a masked one"])
async def test_an_unmasked_client_frame_closes_with_1002(
        live_server: LiveServer, caplog: pytest.LogCaptureFixture, before: bytes) -> None:
    ws_views.STATE.pop("client_close", None)
    reader, writer = await open_raw(live_server.port, "/ws/echo/")
    try:
        writer.write(before + b"\x81\x02hi")  # a text frame without the mask bit
        await writer.drain()
        if before:
            assert await reader.readexactly(4) == b"\x81\x02hi"  # the masked frame, echoed
        head = await reader.readexactly(4)
    finally:
        await close_raw(writer)
    assert head[0] == 0x88 and int.from_bytes(head[2:4], "big") == 1002
    await until(lambda: "client_close" in ws_views.STATE, what="the view's loop ended")
    assert ws_views.STATE["client_close"][0] == 1002
    assert any("unmasked frame" in r.getMessage() for r in caplog.records)
