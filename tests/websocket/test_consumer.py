"""Channels consumers run unchanged through consumer_view: AsyncWebsocketConsumer,
AsyncJsonWebsocketConsumer and sync WebsocketConsumer, with groups and handlers, and a scope
filled from the Django request that went through the project's MIDDLEWARE."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests import ws_consumers
from tests.server import Gunicorn, LiveServer
from tests.ws_support import login_cookie, until


async def test_async_consumer_scope_echo_groups_and_close(
        live_server: LiveServer, client: aiohttp.ClientSession, in_memory: None) -> None:
    from channels.layers import get_channel_layer

    headers = {**await login_cookie("consumer-user"), "X-Custom": "yes"}
    ws_consumers.STATE.pop("async_disconnect", None)
    url = f"{live_server.url}/ws/consumer/async/lobby/?q=1&r=%C3%BC"
    async with client.ws_connect(url, headers=headers, protocols=("chat.v0", "chat.v1")) as ws:
        assert ws.protocol == "chat.v1"
        await ws.send_str("scope")
        scope = await ws.receive_json()
        assert scope == {
            "type": "websocket", "path": "/ws/consumer/async/lobby/",
            "query_string": "q=1&r=%C3%BC",
            "url_route": {"args": [], "kwargs": {"room": "lobby"}},
            "user": "consumer-user", "session_user": scope["session_user"],
            "client_host": "127.0.0.1",
            "headers": {"host": f"127.0.0.1:{live_server.port}", "x-custom": "yes"},
            "subprotocols": ["chat.v0", "chat.v1"],
        }
        assert scope["session_user"] is not None
        await ws.send_str("text")
        assert await ws.receive_str() == "text"
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_bytes() == b"\x00\x01"
        await get_channel_layer().group_send("async-consumers",
                                             {"type": "chat.message", "text": "hello"})
        assert await ws.receive_str() == "group: hello"
        await ws.send_str("bye")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 4002,
                                                   "consumer says bye")
    await until(lambda: "async_disconnect" in ws_consumers.STATE)


async def test_the_consumer_sees_the_client_close_code(
        live_server: LiveServer, client: aiohttp.ClientSession, in_memory: None) -> None:
    ws_consumers.STATE.pop("async_disconnect", None)
    async with client.ws_connect(f"{live_server.url}/ws/consumer/async/lobby/") as ws:
        await ws.send_str("x")
        assert await ws.receive_str() == "x"
        await ws.close(code=4100)
    await until(lambda: ws_consumers.STATE.get("async_disconnect") == 4100)


async def test_a_consumer_that_closes_in_connect_refuses_with_403(
        live_server: LiveServer, client: aiohttp.ClientSession, in_memory: None) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        async with client.ws_connect(f"{live_server.url}/ws/consumer/async/forbidden/"):
            pass
    assert info.value.status == 403


async def test_json_consumer_without_a_channel_layer(live_server: LiveServer,
                                                     client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/consumer/json/") as ws:
        await ws.send_json({"n": [1, 2]})
        assert await ws.receive_json() == {"echo": {"n": [1, 2]}, "user": None}


async def test_sync_consumer_with_orm_and_groups(
        live_server: LiveServer, client: aiohttp.ClientSession, in_memory: None) -> None:
    from channels.layers import get_channel_layer

    ws_consumers.STATE.pop("sync_disconnect", None)
    async with client.ws_connect(f"{live_server.url}/ws/consumer/sync/") as ws:
        await ws.send_str("count")
        reply = await ws.receive_json()
        assert reply["text"] == "count" and reply["users"] >= 0
        await get_channel_layer().group_send("sync-consumers",
                                             {"type": "chat.message", "text": "hi"})
        assert await ws.receive_str() == "sync group: hi"
        await ws.close(code=4200)
    await until(lambda: ws_consumers.STATE.get("sync_disconnect") == 4200)


async def test_consumers_under_gunicorn_with_redis(redis: Any,
                                                   gunicorn_env: dict[str, str]) -> None:
    from channels_redis.core import RedisChannelLayer

    url = redis.url
    env = {**gunicorn_env, "DJANGO_SETTINGS_MODULE": "tests.ws_settings",
           "ASYNC_HANDLER_TEST_REDIS": url}
    headers = await login_cookie("gunicorn-consumer")
    layer = RedisChannelLayer(hosts=[url])
    try:
        with Gunicorn("--workers", "2", env=env) as g:
            g.wait_ready()
            async with aiohttp.ClientSession() as client:
                async with client.ws_connect(f"{g.url}/ws/consumer/async/r/",
                                             headers=headers) as a, \
                        client.ws_connect(f"{g.url}/ws/consumer/sync/") as s:
                    await a.send_str("scope")
                    assert (await a.receive_json())["user"] == "gunicorn-consumer"
                    await s.send_str("hello")
                    assert (await s.receive_json())["text"] == "hello"
                    for text in ("redis", "later"):
                        if text == "later":
                            # Idle past channels_redis's 5 s blocking read: with redis-py
                            # 8's default 5 s socket timeout every consumer died here (W007).
                            await asyncio.sleep(6.5)
                        for group in ("async-consumers", "sync-consumers"):
                            await layer.group_send(group, {"type": "chat.message", "text": text})
                        assert await a.receive_str() == f"group: {text}"
                        assert await s.receive_str() == f"sync group: {text}"
            assert "Traceback" not in g.output()
    finally:
        await layer.close_pools()
