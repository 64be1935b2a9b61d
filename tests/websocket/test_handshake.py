"""The WebSocket handshake is a Django request: MIDDLEWARE, decorators, signals, the Origin
check, malformed handshakes (4xx and a log line), and 426 where the server cannot upgrade."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from asgiref.sync import sync_to_async
from django.test import Client, override_settings

from tests import ws_views
from tests.server import LiveServer
from tests.ws_support import KEY, handshake, login_cookie, until


async def _refused(client: aiohttp.ClientSession, url: str, **kwargs: object) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        async with client.ws_connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    return info.value.status


async def _head(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        return await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()
        await writer.wait_closed()


async def test_login_required_refuses_with_a_redirect_before_the_upgrade(
        live_server: LiveServer) -> None:
    head = await _head(live_server.port, handshake("/ws/whoami/"))
    assert head.startswith(b"HTTP/1.1 302 ")
    assert b"Location: /accounts/login/?next=/ws/whoami/" in head


async def test_the_session_user_reaches_the_view_and_the_session_is_saved_after_the_socket(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    headers = await login_cookie("sockets")
    key = headers["Cookie"].split("=", 1)[1]

    def saved_visits() -> int:
        from django.contrib.sessions.backends.db import SessionStore

        return int(SessionStore(session_key=key).load().get("socket_visits", 0))

    seen = []
    for visit in (1, 2):
        async with client.ws_connect(f"{live_server.url}/ws/whoami/", headers=headers) as ws:
            seen.append(await ws.receive_json())
            await ws.send_str("done")
        # The session is saved by SessionMiddleware once the socket has ended, on the
        # server's time: wait for it before the next handshake reads it.
        for _ in range(500):
            if await sync_to_async(saved_visits)() == visit:
                break
            await asyncio.sleep(0.02)
    assert [(s["user"], s["visits"]) for s in seen] == [("sockets", 1), ("sockets", 2)]
    assert await sync_to_async(saved_visits)() == 2


async def test_request_started_and_finished_fire_once_per_socket(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    await sync_to_async(ws_views.listen_to_signals)()
    try:
        async with client.ws_connect(f"{live_server.url}/ws/signals/") as ws:
            assert await ws.receive_json() == ["started"]
            await ws.send_str("done")
        await until(lambda: ws_views.STATE["signals"] == ["started", "finished"])
    finally:
        await sync_to_async(ws_views.stop_listening)()


async def test_a_view_answers_over_http_until_it_accepts(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    assert await _refused(client, f"{live_server.url}/ws/refuses/") == 418
    assert await _refused(client, f"{live_server.url}/ws/closes-first/") == 403


@override_settings(ALLOWED_HOSTS=["127.0.0.1", ".example.com"],
                   CSRF_TRUSTED_ORIGINS=["https://*.trusted.test", "http://exact.test:8080"])
@pytest.mark.parametrize("origin, allowed", [
    (None, True),  # not a browser
    ("http://127.0.0.1:8000", True),
    ("https://www.example.com", True),
    ("https://app.trusted.test", True),
    ("http://exact.test:8080", True),
    ("https://evil.test", False),
    ("http://app.trusted.test", False),  # the scheme must match too
    ("http://exact.test:9090", False),
    ("null", False),
])
async def test_cross_site_origins_get_403(live_server: LiveServer,
                                          client: aiohttp.ClientSession,
                                          caplog: pytest.LogCaptureFixture, origin: str | None,
                                          allowed: bool) -> None:
    url = f"{live_server.url}/ws/echo/"
    if allowed:
        async with client.ws_connect(url, origin=origin) as ws:
            await ws.send_str("hi")
            assert await ws.receive_str() == "hi"
    else:
        assert await _refused(client, url, origin=origin) == 403
        assert any("cross-site Origin" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("request_bytes, status, header, logged", [
    (handshake("/ws/echo/", key=None), 400, None, "missing or malformed Sec-WebSocket-Key"),
    (handshake("/ws/echo/", key="c2hvcnQ="), 400, None, "missing or malformed"),
    (handshake("/ws/echo/", key="not base64!!"), 400, None, "missing or malformed"),
    (handshake("/ws/echo/", version="8"), 426, b"Sec-WebSocket-Version: 13",
     "unsupported Sec-WebSocket-Version '8'"),
    (handshake("/ws/echo/", version=None), 426, b"Sec-WebSocket-Version: 13", "unsupported"),
    (handshake("/ws/echo/", method="POST", extra="Content-Length: 0\r\n"), 405, b"Allow: GET",
     "must be GET, not POST"),
    (b"GET /ws/echo/ HTTP/1.1\r\nHost: t\r\n\r\n", 426, b"Upgrade: websocket",
     "not a WebSocket handshake"),
    (b"GET /ws/echo/ HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13"
     b"\r\nSec-WebSocket-Key: " + KEY.encode() + b"\r\n\r\n", 400, None, "no Connection: Upgrade"),
])
async def test_malformed_handshakes_get_4xx_and_a_log_line(
        live_server: LiveServer, caplog: pytest.LogCaptureFixture, request_bytes: bytes,
        status: int, header: bytes | None, logged: str) -> None:
    head = await _head(live_server.port, request_bytes)
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), head
    if header is not None:
        assert header in head
    assert any(logged in r.getMessage() and r.name == "async_handler.websocket"
               for r in caplog.records), [r.getMessage() for r in caplog.records]


def _wsgi_get(headers: dict[str, str]) -> tuple[int, str]:
    response = Client().get("/ws/echo/", headers=headers)
    return response.status_code, response.content.decode()


async def test_under_plain_wsgi_a_websocket_view_answers_426_not_500() -> None:
    status, text = await sync_to_async(_wsgi_get)({
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": KEY})
    assert status == 426
    assert "cannot upgrade connections to WebSocket" in text and "AiohttpWorker" in text
    status, text = await sync_to_async(_wsgi_get)({})
    assert (status, text) == (426, "This URL is a WebSocket endpoint: connect to it with a "
                              "WebSocket client.\n")


async def test_join_without_channel_layers_names_the_setting(
        live_server: LiveServer, client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(f"{live_server.url}/ws/no-layer/") as ws:
        reply = await ws.receive_json()
    assert reply["error"] == "ImproperlyConfigured"
    assert "settings.CHANNEL_LAYERS" in reply["message"]
    assert "InMemoryChannelLayer" in reply["message"]
