"""WebSocket views behind real ASGI servers (uvicorn, its gunicorn worker, gunicorn -k asgi,
Hypercorn, Daphne, granian), each in a subprocess: the views of tests/ws_views.py unchanged,
refusals, groups, a Channels consumer, and bad input answered with a close code or a 4xx."""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from tests.asgi.servers import SERVERS, ASGIServer
from tests.ws_support import close_raw, handshake, login_cookie, open_raw

#: Servers that offer the `websocket.http.response` extension: a refusal reaches the client
#: as the view's own response; the others answer 403 to a close before accept (ASGI spec).
HTTP_RESPONSE_EXTENSION = {"uvicorn", "uvicorn-worker", "hypercorn", "granian"}

#: Servers that pass close reasons on: in `websocket.disconnect` (the client's) and in the
#: close frame they send for `websocket.close` (the view's).
CLIENT_REASON = {"uvicorn", "uvicorn-worker"}
#: Hypercorn reports every close by the client as 1006 (its StreamClosed, not the frame's code).
CLIENT_CODE = {"hypercorn": 1006}
VIEW_REASON = {"uvicorn", "uvicorn-worker", "gunicorn-asgi", "hypercorn", "granian"}

#: What each server answers a text frame of invalid UTF-8 with (RFC 6455 8.1: 1007); None:
#: it drops the connection without a close frame (autobahn's failByDrop, Hypercorn).
INVALID_UTF8_CLOSE = {"daphne": None, "hypercorn": None, "granian": 1005}

#: Daphne (autobahn) sends close codes 1000 and 3000-4999 only: 1009 goes as 4009.
TOO_BIG_CLOSE = {"daphne": 4009}

#: What each server answers an unmasked client frame with; None: it drops the connection.
UNMASKED_CLOSE: dict[str, set[int | None]] = {"granian": {1005}, "daphne": {None},
                                              "hypercorn": {None}}

#: Servers whose `websocket.send` never waits for the client: autobahn buffers without bound,
#: so no send_timeout can see a client that does not read.
UNBOUNDED_SEND = {"daphne"}

#: Servers that take a POST upgrade as a `websocket` scope, which carries no method.
POST_UPGRADES = {"granian"}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[ASGIServer]:
    with ASGIServer(request.param, env={"DJANGO_SETTINGS_MODULE": "tests.asgi_ws_settings"}) as s:
        s.wait_ready()
        yield s


@pytest.fixture
async def client() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


def ws_url(server: ASGIServer, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


async def _state(client: aiohttp.ClientSession, server: ASGIServer) -> dict[str, Any]:
    async with client.ws_connect(ws_url(server, "/ws/state/")) as ws:
        state: dict[str, Any] = await ws.receive_json()
        return state


async def _settles(client: aiohttp.ClientSession, server: ASGIServer, what: str,
                   check: Any, timeout: float = 20) -> dict[str, Any]:
    """Poll the server's state until `check(state)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        state = await _state(client, server)
        if check(state):
            return state
        assert time.monotonic() < deadline, f"{what}: {state}\n{server.output()[-3000:]}"
        await asyncio.sleep(0.05)


async def _head(server: ASGIServer, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(data)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    finally:
        await close_raw(writer)


def _frame(payload: bytes, opcode: int) -> bytes:
    """One masked client frame (RFC 6455 5.2)."""
    mask = os.urandom(4)
    size = len(payload)
    head = bytes([0x80 | opcode])
    if size < 126:
        head += bytes([0x80 | size])
    elif size < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", size)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", size)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _close_code(reader: asyncio.StreamReader) -> int | None:
    """Read frames until the server's close frame; its code, or None if the connection ends."""
    try:
        while True:
            first, second = await asyncio.wait_for(reader.readexactly(2), 20)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", await reader.readexactly(8))[0]
            payload = await reader.readexactly(size)
            if first & 0x0F == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


async def test_echo_json_and_close_codes_both_ways(server: ASGIServer,
                                                   client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(ws_url(server, "/ws/echo/")) as ws:
        for text in ("hello", "héllo ✓" * 1000):
            await ws.send_str(text)
            assert await ws.receive_str() == text
        await ws.send_bytes(b"\x00\xffbinary")
        assert await ws.receive_bytes() == b"\x00\xffbinary"
        await ws.close(code=4321, message=b"client done")
    seen = [CLIENT_CODE.get(server.name, 4321),
            "client done" if server.name in CLIENT_REASON else ""]
    await _settles(client, server, "the view saw the client's close",
                   lambda s: s["client_close"] == seen)
    async with client.ws_connect(ws_url(server, "/ws/json/")) as ws:
        await ws.send_json({"a": [1, None, "ü"]})
        assert await ws.receive_json() == {"echo": {"a": [1, None, "ü"]}}
    async with client.ws_connect(ws_url(server, "/ws/closes/4001/")) as ws:
        assert await ws.receive_str() == "bye"
        msg = await ws.receive()
        reason = "closing on purpose" if server.name in VIEW_REASON else ""
        assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 4001, reason)


@pytest.mark.parametrize("offered, chosen", [(("chat.v1", "chat.v2"), "chat.v1"),
                                             (("other",), None)])
async def test_subprotocol_negotiation(server: ASGIServer, client: aiohttp.ClientSession,
                                       offered: tuple[str, ...], chosen: str | None) -> None:
    async with client.ws_connect(ws_url(server, "/ws/subprotocol/"), protocols=offered) as ws:
        assert await ws.receive_json() == {"offered": list(offered), "chosen": chosen}
        assert ws.protocol == chosen


async def test_login_required_refuses_before_the_upgrade_and_admits_the_session_user(
        server: ASGIServer, client: aiohttp.ClientSession) -> None:
    head = await _head(server, handshake("/ws/whoami/"))
    if server.name in HTTP_RESPONSE_EXTENSION:
        assert head.startswith(b"HTTP/1.1 302 "), head
        assert b"location: /accounts/login/?next=/ws/whoami/" in head.lower()
    else:
        assert head.startswith(b"HTTP/1.1 403 "), head
    headers = await login_cookie("asgi-server-user")
    async with client.ws_connect(ws_url(server, "/ws/whoami/"), headers=headers) as ws:
        assert (await ws.receive_json())["user"] == "asgi-server-user"


async def test_group_broadcast_through_the_channel_layer(server: ASGIServer,
                                                         client: aiohttp.ClientSession) -> None:
    room = ws_url(server, f"/ws/room/{server.name}/")
    async with client.ws_connect(room) as a, client.ws_connect(room) as b:
        for ws in (a, b):
            assert (await ws.receive_json())["joined"] == f"room-{server.name}"
        await a.send_str("to everyone")
        assert [await a.receive_str(), await b.receive_str()] == ["to everyone"] * 2


async def test_channels_consumers_run_unchanged(server: ASGIServer,
                                                client: aiohttp.ClientSession) -> None:
    headers = await login_cookie("asgi-consumer")
    url = ws_url(server, "/ws/consumer/async/lobby/?q=1")
    async with client.ws_connect(url, headers=headers, protocols=("chat.v1",)) as ws:
        assert ws.protocol == "chat.v1"
        await ws.send_str("scope")
        scope = await ws.receive_json()
        assert (scope["user"], scope["query_string"], scope["client_host"]) == (
            "asgi-consumer", "q=1", "127.0.0.1")
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_bytes() == b"\x00\x01"
        await ws.send_str("bye")
        msg = await ws.receive()
        reason = "consumer says bye" if server.name in VIEW_REASON else ""
        assert (msg.data, msg.extra) == (4002, reason)
    async with client.ws_connect(ws_url(server, "/ws/consumer/sync/")) as ws:
        await ws.send_str("count")
        assert (await ws.receive_json())["text"] == "count"


async def test_a_client_that_vanishes_cancels_its_view_and_leaves_no_task(
        server: ASGIServer, client: aiohttp.ClientSession) -> None:
    before = await _state(client, server)
    sockets = [await open_raw(server.port, "/ws/cancellable/") for _ in range(3)]
    for reader, _ in sockets:
        assert await reader.readexactly(7) == b"\x81\x05ready"
    for _, writer in sockets:
        await close_raw(writer)  # no close frame: the connection just ends
    await _settles(client, server, "3 views cancelled, their tasks gone",
                   lambda s: s["cancelled"] == before["cancelled"] + 3
                   and s["tasks"] <= before["tasks"])


async def test_a_message_over_max_message_size_closes_with_1009(
        server: ASGIServer, client: aiohttp.ClientSession) -> None:
    async with client.ws_connect(ws_url(server, "/ws/small/")) as ws:
        await ws.send_str("x" * 1024)
        assert await ws.receive_str() == "got 1024"
        await ws.send_str("x" * 1025)
        msg = await ws.receive(timeout=20)
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE,
                                        TOO_BIG_CLOSE.get(server.name, 1009)), msg
    await _settles(client, server, "the view saw 1009", lambda s: s["small_close"] == 1009)
    assert "over 1024 bytes; closing with 1009" in server.output()


async def test_invalid_utf8_in_a_text_frame_closes_the_socket(
        server: ASGIServer, client: aiohttp.ClientSession) -> None:
    before = await _state(client, server)
    reader, writer = await open_raw(server.port, "/ws/echo/")
    writer.write(_frame(b"\xff\xfe not utf-8", 0x1))
    await writer.drain()
    code = await _close_code(reader)
    await close_raw(writer)
    assert code == INVALID_UTF8_CLOSE.get(server.name, 1007), code
    await _settles(client, server, "no task left", lambda s: s["tasks"] <= before["tasks"])


async def test_an_unmasked_client_frame_ends_the_socket_and_its_view(
        server: ASGIServer, client: aiohttp.ClientSession) -> None:
    # RFC 6455 5.1: the server closes on an unmasked client frame; each server does.
    before = await _state(client, server)
    reader, writer = await open_raw(server.port, "/ws/echo/")
    writer.write(_frame(b"hi", 0x1) + b"\x81\x02hi")  # masked, echoed; then unmasked
    await writer.drain()
    code = await _close_code(reader)
    await close_raw(writer)
    assert code in UNMASKED_CLOSE.get(server.name, {1002}), code
    # The view ended: its loop saw the close, or (gunicorn -k asgi) the server ended its task.
    await _settles(client, server, "no task left", lambda s: s["tasks"] <= before["tasks"])


async def test_a_client_that_never_reads_is_dropped_past_the_send_timeout(
        server: ASGIServer, client: aiohttp.ClientSession) -> None:
    # The view sends 64 KiB messages (send_timeout 0.5 s) to a client that reads nothing:
    # once the server's send buffer is full its sends wait, and past the timeout the
    # client is dropped and the view ends.
    if server.name in UNBOUNDED_SEND:
        pytest.xfail(f"{server.name}'s websocket.send never waits: no send buffer to bound")
    before = await _state(client, server)
    reader, writer = await open_raw(server.port, "/ws/flood/")
    try:
        state = await _settles(client, server, "the view dropped the client",
                               lambda s: s["flood_end"] is not None
                               and s["flood_sent"] > before["flood_sent"])
    finally:
        await close_raw(writer)
    assert state["flood_end"] in ("cancelled", "disconnected 1006"), state
    # Bounded: the view stopped after a buffer's worth, not an ever-growing queue.
    assert state["flood_sent"] - before["flood_sent"] < 2000, state
    assert "read nothing for 0.5 s" in server.output()
    await _settles(client, server, "no task left", lambda s: s["tasks"] <= before["tasks"])


@pytest.mark.parametrize("request_bytes", [
    handshake("/ws/echo/", key=None),
    handshake("/ws/echo/", key="not base64!!"),
    handshake("/ws/echo/", version="8"),
    handshake("/ws/echo/", method="POST", extra="Content-Length: 0\r\n"),
], ids=["no-key", "bad-key", "version-8", "post"])
async def test_a_malformed_handshake_gets_a_4xx(server: ASGIServer,
                                                client: aiohttp.ClientSession,
                                                request_bytes: bytes) -> None:
    if server.name in POST_UPGRADES and request_bytes.startswith(b"POST"):
        pytest.xfail(f"{server.name} upgrades a POST; a websocket scope carries no method")
    before = await _state(client, server)
    head = await _head(server, request_bytes)
    assert head.startswith(b"HTTP/1.1 4"), head
    await _settles(client, server, "no task left", lambda s: s["tasks"] <= before["tasks"])


#: What open sockets get when the server is sent SIGTERM. Every server here closes its
#: connections before lifespan shutdown, so the application's 1001
#: (tests/websocket/test_shutdown.py) is never what the client sees: uvicorn closes with
#: 1012; the others drop the connection.
SHUTDOWN_CLOSE = {"uvicorn": 1012, "uvicorn-worker": 1012}


@pytest.mark.parametrize("name", sorted(SERVERS))
async def test_sigterm_ends_open_sockets_and_the_server_exits(name: str) -> None:
    command = SERVERS[name][1]
    if name == "gunicorn-asgi":  # it waits graceful_timeout for open sockets, then drops them
        command = [*command, "--graceful-timeout", "2"]
    with ASGIServer(name, env={"DJANGO_SETTINGS_MODULE": "tests.asgi_ws_settings"},
                    command=command) as server:
        server.wait_ready()
        async with aiohttp.ClientSession() as session:
            reading = await session.ws_connect(ws_url(server, "/ws/echo/"))
            sleeping = await session.ws_connect(ws_url(server, "/ws/cancellable/"))
            assert await sleeping.receive_str() == "ready"
            os.killpg(server.proc.pid, signal.SIGTERM)
            for ws in (reading, sleeping):
                msg = await ws.receive(timeout=30)
                if name in SHUTDOWN_CLOSE:
                    assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE,
                                                    SHUTDOWN_CLOSE[name]), msg
                else:
                    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSE), msg
                await ws.close()
        assert server.proc.wait(30) in (0, -signal.SIGTERM)
        assert "Traceback" not in server.output(), server.output()
