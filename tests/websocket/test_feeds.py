"""A worker's subscriptions (async_handler/websocket/feeds.py): one layer channel per group per
process however many of its sockets join, fanned out in the process; checked on a real
redis-server by reading the group's key, and on Channels' in-memory layer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator

import aiohttp
import pytest
from django.test import override_settings

from tests import ws_views
from tests.server import LiveServer
from tests.ws_support import close_raw, open_raw, until


@pytest.fixture
async def redis_layer(redis: Any) -> AsyncIterator[tuple[Any, Any]]:
    """CHANNEL_LAYERS on the throwaway redis-server, and a client reading its keys."""
    import redis.asyncio as aioredis
    from channels.layers import get_channel_layer

    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                          "CONFIG": {"hosts": [{"address": redis.url, "socket_timeout": 10}]}}}
    with override_settings(CHANNEL_LAYERS=layers):
        layer = get_channel_layer()
        keys = aioredis.Redis.from_url(redis.url)
        try:
            yield layer, keys
        finally:
            await keys.aclose()
            await layer.close_pools()


@pytest.fixture
async def many() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session without aiohttp's default cap of 100 connections."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


async def _join(client: aiohttp.ClientSession, url: str) -> tuple[Any, dict[str, Any]]:
    ws = await client.ws_connect(url)
    return ws, await ws.receive_json(timeout=60)


async def test_a_group_is_one_layer_channel_per_process_until_its_last_member_leaves(
        redis_layer: tuple[Any, Any], live_server: LiveServer,
        client: aiohttp.ClientSession) -> None:
    layer, keys = redis_layer
    key = "asgi:group:room-one"
    joined = [await _join(client, f"{live_server.url}/ws/room/one/") for _ in range(5)]
    sockets = [ws for ws, _ in joined]
    try:
        assert await keys.zcard(key) == 1  # not one per socket
        await layer.group_send("room-one", {"type": "websocket.send", "text": "to all"})
        assert await asyncio.gather(*(ws.receive_str() for ws in sockets)) == ["to all"] * 5
        # Each socket's own channel, made when the view read ws.channel_name.
        channels = [info["channel"] for _, info in joined]
        assert len(set(channels)) == 5
        await layer.send(channels[2], {"type": "websocket.send", "text": "only the third"})
        assert await sockets[2].receive_str() == "only the third"
        for ws in sockets[:4]:
            await ws.send_str("/leave")
            assert await ws.receive_str() == "left"
        assert await keys.zcard(key) == 1
        await layer.group_send("room-one", {"type": "websocket.send", "text": "to the last"})
        assert await sockets[4].receive_str() == "to the last"
        await sockets[0].send_str("/here")
        assert await sockets[0].receive_str() == "here"  # and not "to the last"
        await sockets[4].send_str("/leave")
        assert await sockets[4].receive_str() == "left"
        assert await keys.zcard(key) == 0
    finally:
        for ws in sockets:
            await ws.close()


async def test_500_sockets_joining_at_once_all_get_the_broadcast(
        redis_layer: tuple[Any, Any], live_server: LiveServer,
        many: aiohttp.ClientSession) -> None:
    layer, keys = redis_layer
    url = f"{live_server.url}/ws/room/crowd/"
    joined = await asyncio.gather(*(_join(many, url) for _ in range(500)))
    sockets = [ws for ws, _ in joined]
    try:
        assert all(info["joined"] == "room-crowd" for _, info in joined)
        assert await keys.zcard("asgi:group:room-crowd") == 1
        await layer.group_send("room-crowd", {"type": "websocket.send", "text": "all 500"})
        got = await asyncio.gather(*(ws.receive_str(timeout=60) for ws in sockets))
        assert got == ["all 500"] * 500
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


async def test_500_sockets_joining_500_groups_at_once_wait_for_the_layer_rather_than_fail(
        redis_layer: tuple[Any, Any], live_server: LiveServer,
        many: aiohttp.ClientSession) -> None:
    # redis-py 8's pool fails past 100 connections: without CHANNEL_LAYER_CONCURRENCY, many
    # of these joins failed and their sockets closed with 1011.
    layer, keys = redis_layer
    joined = await asyncio.gather(*(
        _join(many, f"{live_server.url}/ws/room/solo-{i}/") for i in range(500)))
    sockets = [ws for ws, _ in joined]
    try:
        assert sorted(info["joined"] for _, info in joined) == sorted(
            f"room-solo-{i}" for i in range(500))
        await layer.group_send("room-solo-7", {"type": "websocket.send", "text": "seven"})
        assert await sockets[7].receive_str(timeout=60) == "seven"
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


async def test_a_view_that_does_not_read_its_events_loses_the_oldest(
        in_memory: None, live_server: LiveServer, client: aiohttp.ClientSession,
        caplog: pytest.LogCaptureFixture) -> None:
    from channels.layers import get_channel_layer

    from async_handler.websocket.groups import EVENT_BACKLOG

    layer = get_channel_layer()
    async with client.ws_connect(f"{live_server.url}/ws/backlog/") as ws:
        assert await ws.receive_str() == "joined"
        with caplog.at_level(logging.WARNING, "async_handler.websocket"):
            for n in range(EVENT_BACKLOG + 5):
                await layer.group_send("backlog", {"type": "note", "n": n})

            def dropped() -> int:
                return sum("does not read ws.events()" in r.getMessage() for r in caplog.records)

            await until(lambda: dropped() == 5, what="5 events dropped")
        await ws.send_str("go")
        assert await ws.receive_str() == "5"
        assert await ws.receive_str() == "6"


async def test_slow_and_vanished_clients_do_not_hold_up_the_others(
        in_memory: None, live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    url = f"{live_server.url}/ws/room/mixed/"
    slow = [await open_raw(live_server.port, "/ws/room/mixed/") for _ in range(3)]
    gone = [await open_raw(live_server.port, "/ws/room/mixed/") for _ in range(3)]
    readers = [(await _join(client, url))[0] for _ in range(3)]
    try:
        for _, writer in gone:
            writer.transport.abort()  # vanished: no close frame
        # 40 messages of 256 KiB: far more than the slow clients' socket buffers hold, so a
        # send to them waits (up to the room view's 30 s send timeout).
        block = "x" * 262144
        for n in range(40):
            await layer.group_send("room-mixed", {"type": "websocket.send", "text": f"{n}{block}"})
        for ws in readers:
            for n in range(40):
                assert (await ws.receive_str(timeout=20)).startswith(f"{n}x")
    finally:
        for ws in readers:
            await ws.close()
        for _, writer in slow:
            writer.transport.abort()


async def test_a_cancelled_view_leaves_its_group(
        in_memory: None, live_server: LiveServer) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    ws_views.STATE["sits_cancelled"] = 0
    sockets = [await open_raw(live_server.port, "/ws/sits/cancel-me/") for _ in range(3)]
    for reader, _ in sockets:
        await reader.readexactly(8)  # the "joined" text frame: 0x81 0x06 joined
    assert len(layer.groups["cancel-me"]) == 1
    for _, writer in sockets[:2]:
        await close_raw(writer)
    await until(lambda: ws_views.STATE["sits_cancelled"] == 2, what="2 views cancelled")
    assert len(layer.groups["cancel-me"]) == 1
    await close_raw(sockets[2][1])
    await until(lambda: not layer.groups.get("cancel-me"), what="the group empty")
    assert ws_views.STATE["sits_cancelled"] == 3


async def test_a_feed_joins_its_group_again_before_the_layer_expires_it(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    from channels.layers import get_channel_layer

    short = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer",
                         "CONFIG": {"group_expiry": 2}}}
    with override_settings(CHANNEL_LAYERS=short):
        layer = get_channel_layer()
        ws, _ = await _join(client, f"{live_server.url}/ws/room/renewed/")
        try:
            [(channel, added)] = layer.groups["room-renewed"].items()
            await until(lambda: layer.groups["room-renewed"].get(channel, 0) > added + 2,
                        what="the group joined again past its expiry")
            await layer.group_send("room-renewed", {"type": "websocket.send", "text": "still in"})
            assert await ws.receive_str() == "still in"
        finally:
            await ws.close()
