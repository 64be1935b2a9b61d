"""Groups on Channels' channel layer: InMemoryChannelLayer in one process, and channels_redis
across two gunicorn masters sharing one real redis-server, with group_send from this process."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from channels.layers import InMemoryChannelLayer
from django.test import override_settings

from tests.server import Gunicorn, LiveServer
from tests.ws_support import until


async def _join(client: aiohttp.ClientSession, url: str) -> tuple[Any, dict[str, Any]]:
    ws = await client.ws_connect(url)
    return ws, await ws.receive_json()


async def test_in_memory_layer_relays_forwards_and_hands_events_to_the_view(
        live_server: LiveServer, client: aiohttp.ClientSession, in_memory: None) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    url = f"{live_server.url}/ws/room/lobby/"
    a, joined = await _join(client, url)
    b, _ = await _join(client, url)
    assert joined["joined"] == "room-lobby" and joined["channel"]
    try:
        await a.send_str("from a")  # the view relays it with group_send
        assert [await a.receive_str(), await b.receive_str()] == ["from a", "from a"]
        await layer.group_send("room-lobby", {"type": "websocket.send", "bytes": b"\x00raw"})
        assert [await a.receive_bytes(), await b.receive_bytes()] == [b"\x00raw", b"\x00raw"]
        event = {"type": "room.notice", "body": "to the view"}
        await layer.group_send("room-lobby", event)
        assert [await a.receive_json(), await b.receive_json()] == [{"event": event}] * 2
        await layer.send(joined["channel"], {"type": "websocket.send", "text": "only a"})
        assert await a.receive_str() == "only a"
        await a.send_str("/leave")
        assert await a.receive_str() == "left"
        await layer.group_send("room-lobby", {"type": "websocket.send", "text": "after"})
        assert await b.receive_str() == "after"
        await a.send_str("/here")
        assert await a.receive_str() == "here"  # and not "after"
    finally:
        await a.close()
        await b.close()
    # Sockets that end leave their groups.
    await until(lambda: not layer.groups.get("room-lobby"), what="room-lobby empty")


def _redis_env(gunicorn_env: dict[str, str], url: str) -> dict[str, str]:
    return {**gunicorn_env, "DJANGO_SETTINGS_MODULE": "tests.ws_settings",
            "ASYNC_HANDLER_TEST_REDIS": url}


async def test_broadcast_across_two_gunicorn_masters_sharing_redis(
        redis: Any, gunicorn_env: dict[str, str]) -> None:
    import redis.asyncio as aioredis
    from channels_redis.core import RedisChannelLayer

    env = _redis_env(gunicorn_env, redis.url)
    layer = RedisChannelLayer(hosts=[redis.url])
    keys = aioredis.Redis.from_url(redis.url)
    with Gunicorn("--workers", "2", env=env) as g1, Gunicorn("--workers", "2", env=env) as g2:
        g1.wait_ready()
        g2.wait_ready()
        async with aiohttp.ClientSession() as client:
            sockets, pids = [], set()
            try:
                for g in (g1, g2) * 4:
                    ws, joined = await _join(client, f"{g.url}/ws/room/hosts/")
                    sockets.append(ws)
                    pids.add(joined["pid"])
                # Sockets on both masters, standing in for two hosts.
                assert pids & set(g1.worker_pids()) and pids & set(g2.worker_pids())
                # One layer channel per worker process in the group, not one per socket.
                assert await keys.zcard("asgi:group:room-hosts") == len(pids)
                await layer.group_send("room-hosts", {"type": "websocket.send",
                                                      "text": "from the test process"})
                got = await asyncio.gather(*(ws.receive_str() for ws in sockets))
                assert got == ["from the test process"] * len(sockets)
                await sockets[0].send_str("from a socket on the first master")
                got = await asyncio.gather(*(ws.receive_str() for ws in sockets))
                assert got == ["from a socket on the first master"] * len(sockets)
            finally:
                for ws in sockets:
                    await ws.close()
                await layer.close_pools()
                await keys.aclose()
        for g in (g1, g2):
            assert "Traceback" not in g.output()


class FlakyLayer(InMemoryChannelLayer):  # type: ignore[misc]
    """The real in-memory layer, whose first receives fail as a Redis connection can."""

    failures = 0

    async def receive(self, channel: str) -> dict[str, Any]:
        if FlakyLayer.failures:
            FlakyLayer.failures -= 1
            raise TimeoutError("idle") if FlakyLayer.failures % 2 else ConnectionError("reset")
        return dict(await super().receive(channel))


async def test_a_transient_layer_failure_does_not_leave_the_socket_deaf(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    from channels.layers import get_channel_layer

    flaky = {"default": {"BACKEND": "tests.websocket.test_groups.FlakyLayer"}}
    with override_settings(CHANNEL_LAYERS=flaky):
        FlakyLayer.failures = 4
        a, joined = await _join(client, f"{live_server.url}/ws/room/flaky/")
        try:
            await get_channel_layer().group_send(
                "room-flaky", {"type": "websocket.send", "text": "still heard"})
            assert await a.receive_str(timeout=20) == "still heard"
            assert FlakyLayer.failures == 0
        finally:
            await a.close()
