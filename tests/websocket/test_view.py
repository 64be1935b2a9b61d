"""WebSocket views on the in-process aiohttp server: frames, iteration, close, subprotocols,
settings and per-view options, through aiohttp's client."""

from __future__ import annotations

import aiohttp
import pytest
from django.test import override_settings

from tests import ws_views
from tests.server import LiveServer
from tests.ws_support import until


async def test_echo_text_binary_and_iteration_until_the_client_closes(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    ws_views.STATE.pop("client_close", None)
    async with client.ws_connect(f"{live_server.url}/ws/echo/") as ws:
        for text in ("hello", "", "héllo ✓" * 1000):
            await ws.send_str(text)
            assert await ws.receive_str() == text
        await ws.send_bytes(b"\x00\xffbinary")
        assert await ws.receive_bytes() == b"\x00\xffbinary"
        await ws.close(code=4321, message=b"client done")
    await until(lambda: "client_close" in ws_views.STATE)
    assert ws_views.STATE["client_close"] == (4321, "client done")


async def test_json_both_ways(live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/json/") as ws:
        await ws.send_json({"a": [1, 2.5, None, "ü"]})
        assert await ws.receive_json() == {"echo": {"a": [1, 2.5, None, "ü"]}}
        await ws.send_bytes(b'{"as": "binary"}')
        assert await ws.receive_json() == {"echo": {"as": "binary"}}


async def test_receive_text_and_bytes_insist_on_their_frame_type(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/typed/") as ws:
        await ws.send_str("t")
        await ws.send_bytes(b"\x01")
        assert await ws.receive_json() == {"text": "t", "bytes": "01"}
    async with client.ws_connect(f"{live_server.url}/ws/typed/") as ws:
        await ws.send_bytes(b"\x01")
        msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert (msg.data, msg.extra) == (1003, "expected a text frame, got a binary one")


@pytest.mark.parametrize("code", [1000, 1001, 4001])
async def test_the_view_closes_with_its_code_and_reason(
        live_server: LiveServer, client: aiohttp.ClientSession, code: int) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/closes/{code}/") as ws:
        assert await ws.receive_str() == "bye"
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, code,
                                                   "closing on purpose")
    assert ws.close_code == code


async def test_the_view_may_not_send_a_reserved_close_code(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    """1005 and 1006 are never sent (RFC 6455 7.4.1): the view's ValueError closes with 1011."""
    async with client.ws_connect(f"{live_server.url}/ws/closes/1006/") as ws:
        assert await ws.receive_str() == "bye"
        msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1011)


@pytest.mark.parametrize("offered, chosen", [
    (("chat.v1", "chat.v2"), "chat.v1"),
    (("other", "chat.v2"), "chat.v2"),
    (("other",), None),
    ((), None),
])
async def test_subprotocol_negotiation(live_server: LiveServer, client: aiohttp.ClientSession,
                                       offered: tuple[str, ...], chosen: str | None) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/subprotocol/", protocols=offered) as ws:
        assert await ws.receive_json() == {"offered": list(offered), "chosen": chosen}
        assert ws.protocol == chosen


async def test_the_view_error_closes_with_1011_and_is_logged(
        live_server: LiveServer, client: aiohttp.ClientSession,
        caplog: pytest.LogCaptureFixture) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/raises/") as ws:
        assert await ws.receive_str() == "about to fail"
        msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1011)
    assert any("WebSocket view for /ws/raises/ raised" in r.message and r.exc_info
               for r in caplog.records)


async def test_per_view_max_message_size_closes_with_1009(
        live_server: LiveServer, client: aiohttp.ClientSession,
        caplog: pytest.LogCaptureFixture) -> None:
    ws_views.STATE.pop("small_close", None)
    async with client.ws_connect(f"{live_server.url}/ws/small/") as ws:
        await ws.send_str("x" * 1000)
        assert await ws.receive_str() == "got 1000"
        await ws.send_str("x" * 2000)
        msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1009)
    await until(lambda: "small_close" in ws_views.STATE)
    assert ws_views.STATE["small_close"] == 1009
    assert any("closed with 1009" in r.getMessage() for r in caplog.records)


async def test_max_message_size_setting(live_server: LiveServer,
                                        client: aiohttp.ClientSession) -> None:
    with override_settings(ASYNC_HANDLER={"WEBSOCKET_MAX_MESSAGE_SIZE": 100}):
        async with client.ws_connect(f"{live_server.url}/ws/echo/") as ws:
            await ws.send_str("x" * 100)
            assert await ws.receive_str() == "x" * 100
            await ws.send_str("x" * 101)
            msg = await ws.receive()
            assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1009)


async def test_invalid_utf8_in_a_text_frame_closes_with_1007(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/echo/") as ws:
        await ws.send_frame(b"ok \xff\xfe", aiohttp.WSMsgType.TEXT)
        msg = await ws.receive()
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, 1007)


@pytest.mark.parametrize("enabled", [True, False])
async def test_compression_setting(live_server: LiveServer, client: aiohttp.ClientSession,
                                   enabled: bool) -> None:
    """permessage-deflate is agreed when the client asks, unless WEBSOCKET_COMPRESSION is off."""
    with override_settings(ASYNC_HANDLER={"WEBSOCKET_COMPRESSION": enabled}):
        async with client.ws_connect(f"{live_server.url}/ws/echo/", compress=15) as ws:
            assert ws.compress == (15 if enabled else 0)
            await ws.send_str("squeeze me " * 1000)
            assert await ws.receive_str() == "squeeze me " * 1000


@override_settings(ALLOWED_HOSTS=["127.0.0.1"])
async def test_per_view_compression_and_origin_check_overrides(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    """compression=False refuses permessage-deflate where the setting would agree to it, and
    check_origin=False lets a cross-site page connect where the echo view refuses it."""
    origin = "https://elsewhere.test"
    async with client.ws_connect(f"{live_server.url}/ws/open-plain/", compress=15,
                                 origin=origin) as ws:
        assert ws.compress == 0
        await ws.send_str("plain")
        assert await ws.receive_str() == "plain"
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        async with client.ws_connect(f"{live_server.url}/ws/echo/", origin=origin):
            pass
    assert info.value.status == 403


async def test_an_accepted_socket_lets_go_of_the_connections_http_parsing(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    # An idle socket holds its connection for its whole life: the HTTP parser, gunicorn's
    # line scanner and aiohttp's request queue are of no more use once it upgraded.
    async with client.ws_connect(f"{live_server.url}/ws/released/") as ws:
        assert await ws.receive_json() == {"scanner_before": True, "queue": False,
                                           "parser": False, "scanner": False}
        await ws.send_str("still open")


async def test_an_accepted_socket_keeps_only_the_matched_entry_of_resolver_match_tried(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    # Django lists every pattern tried before the match, for the DEBUG 404 page; an
    # upgraded socket cannot answer with one, and would hold the list for its life.
    async with client.ws_connect(f"{live_server.url}/ws/tried/") as ws:
        seen = await ws.receive_json()
    assert seen["before"] > 20, seen  # the patterns listed before /ws/tried/ in tests/urls.py
    assert seen["after"] == 1, seen
    assert (seen["route"], seen["last"]) == ("ws/tried/", ["ws/", "tried/"]), seen
    assert seen["urlconf"] == "tests.urls", seen
