"""WebSocket views over the ASGI `websocket` scope, in process: the same views as on the worker
(tests/ws_views.py), the handshake through MIDDLEWARE, refusals, disconnects and shutdown."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from async_handler.asgi import ASGIApplication
from async_handler.asgi.websocket import ASGISocket
from async_handler.websocket.transport import AcceptOptions
from tests import ws_consumers, ws_views
from tests.asgi.driver import Socket, ws_scope
from tests.ws_support import login_cookie, until


async def _cookie(username: str) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", (await login_cookie(username))["Cookie"].encode())]


async def test_echo_text_binary_and_the_client_close_code(asgi_app: ASGIApplication) -> None:
    ws_views.STATE.pop("client_close", None)
    ws = Socket(asgi_app, ws_scope("/ws/echo/"))
    await ws.accepted()
    ws.text("héllo")
    assert await ws.next() == {"type": "websocket.send", "text": "héllo"}
    ws.data(b"\x00\xff")
    assert await ws.next() == {"type": "websocket.send", "bytes": b"\x00\xff"}
    ws.disconnect(4321, "client done")
    await ws.done()
    assert ws_views.STATE["client_close"] == (4321, "client done")


async def test_json_and_the_view_close_code_and_reason(asgi_app: ASGIApplication) -> None:
    ws = Socket(asgi_app, ws_scope("/ws/json/"))
    await ws.accepted()
    ws.text(json.dumps({"a": [1, None]}))
    assert json.loads((await ws.next())["text"]) == {"echo": {"a": [1, None]}}
    ws.disconnect()
    await ws.done()
    ws = Socket(asgi_app, ws_scope("/ws/closes/4001/"))
    await ws.accepted()
    assert (await ws.next())["text"] == "bye"
    assert await ws.next() == {"type": "websocket.close", "code": 4001,
                               "reason": "closing on purpose"}
    ws.disconnect(4001)
    await ws.done()


@pytest.mark.parametrize("offered, chosen", [(("chat.v1", "chat.v2"), "chat.v1"),
                                             (("other",), None)])
async def test_subprotocol_negotiation(asgi_app: ASGIApplication, offered: tuple[str, ...],
                                       chosen: str | None) -> None:
    ws = Socket(asgi_app, ws_scope("/ws/subprotocol/", subprotocols=offered))
    assert (await ws.accepted()).get("subprotocol") == chosen
    assert json.loads((await ws.next())["text"]) == {"offered": list(offered),
                                                     "chosen": chosen}
    ws.disconnect()
    await ws.done()


async def test_login_required_refuses_with_the_http_response_where_the_server_can(
        asgi_app: ASGIApplication) -> None:
    ws = Socket(asgi_app, ws_scope("/ws/whoami/"))
    start = await ws.next()
    assert start["type"] == "websocket.http.response.start" and start["status"] == 302
    assert (b"location", b"/accounts/login/?next=/ws/whoami/") in start["headers"]
    await ws.done()
    assert ws.sent[-1] == {"type": "websocket.http.response.body", "body": b""}


async def test_without_the_extension_a_refusal_closes_before_accept_and_logs(
        asgi_app: ASGIApplication, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "async_handler.websocket")
    ws = Socket(asgi_app, ws_scope("/ws/whoami/", extension=False))
    assert await ws.next() == {"type": "websocket.close", "code": 4302}
    await ws.done()
    assert len(ws.sent) == 1
    assert any("refused with 302" in r.getMessage() for r in caplog.records)


@override_settings(ALLOWED_HOSTS=["testserver"])
async def test_a_cross_site_origin_is_refused_with_403(asgi_app: ASGIApplication) -> None:
    ws = Socket(asgi_app, ws_scope("/ws/echo/", headers=[(b"origin", b"https://evil.test")]))
    assert (await ws.next())["status"] == 403
    await ws.done()
    ws = Socket(asgi_app, ws_scope("/ws/echo/", headers=[(b"origin", b"http://testserver")]))
    await ws.accepted()
    ws.disconnect()
    await ws.done()


async def test_the_handshake_runs_the_middleware_and_the_session_is_saved(
        asgi_app: ASGIApplication) -> None:
    cookie = await _cookie("asgi-sockets")
    for visit in (1, 2):
        ws = Socket(asgi_app, ws_scope("/ws/whoami/", headers=cookie))
        await ws.accepted()
        reply = json.loads((await ws.next())["text"])
        assert (reply["user"], reply["visits"]) == ("asgi-sockets", visit)
        ws.text("done")
        await ws.done()  # SessionMiddleware saved the session before the scope ended


async def test_request_started_and_finished_once_per_socket(asgi_app: ASGIApplication) -> None:
    await sync_to_async(ws_views.listen_to_signals)()
    try:
        ws = Socket(asgi_app, ws_scope("/ws/signals/"))
        await ws.accepted()
        assert json.loads((await ws.next())["text"]) == ["started"]
        ws.text("end")
        await ws.done()
        await until(lambda: ws_views.STATE["signals"] == ["started", "finished"])
    finally:
        await sync_to_async(ws_views.stop_listening)()


async def test_a_client_that_leaves_cancels_a_view_that_does_not_read(
        asgi_app: ASGIApplication) -> None:
    ws_views.STATE["cancelled"] = 0
    baseline = len(asyncio.all_tasks())
    sockets = [Socket(asgi_app, ws_scope("/ws/cancellable/")) for _ in range(3)]
    for ws in sockets:
        await ws.accepted()
        assert (await ws.next())["text"] == "ready"
    for ws in sockets:
        ws.disconnect(1006)
    for ws in sockets:
        await ws.done()  # the application returns; the cancellation is not the server's
    assert ws_views.STATE["cancelled"] == 3
    await until(lambda: len(asyncio.all_tasks()) <= baseline, what="tasks gone")
    assert asgi_app.core.pool is not None and asgi_app.core.pool.busy == 0


async def test_a_message_over_max_message_size_closes_with_1009(
        asgi_app: ASGIApplication, caplog: pytest.LogCaptureFixture) -> None:
    ws_views.STATE.pop("small_close", None)
    ws = Socket(asgi_app, ws_scope("/ws/small/"))
    await ws.accepted()
    ws.text("é" * 512)  # 512 characters, 1,024 bytes: the limit
    assert (await ws.next())["text"] == "got 512"
    ws.text("é" * 513)
    assert await ws.next() == {"type": "websocket.close", "code": 1009,
                               "reason": "message too big"}
    ws.disconnect(1009)
    await ws.done()
    assert ws_views.STATE["small_close"] == 1009
    assert any("over 1024 bytes" in r.getMessage() for r in caplog.records)


async def test_shutdown_closes_open_sockets_with_1001() -> None:
    app = ASGIApplication()
    await app.startup()
    ws_views.STATE["cancelled"] = 0
    reading = Socket(app, ws_scope("/ws/echo/"))
    sleeping = Socket(app, ws_scope("/ws/cancellable/"))
    for ws in (reading, sleeping):
        await ws.accepted()
    assert (await sleeping.next())["text"] == "ready"
    stopping = asyncio.ensure_future(app.shutdown())
    for ws in (reading, sleeping):
        assert await ws.next() == {"type": "websocket.close", "code": 1001,
                                   "reason": "server shutting down"}
        ws.disconnect(1001)  # the server's part: the client answered the close
        await ws.done()
    await stopping
    assert ws_views.STATE["cancelled"] == 1 and app.core.pool is None


async def test_room_groups_on_the_in_memory_layer(asgi_app: ASGIApplication,
                                                  in_memory: None) -> None:
    from channels.layers import get_channel_layer

    a, b = (Socket(asgi_app, ws_scope("/ws/room/lobby/")) for _ in range(2))
    for ws in (a, b):
        await ws.accepted()
        assert json.loads((await ws.next())["text"])["joined"] == "room-lobby"
    a.text("from a")
    assert [(await a.next())["text"], (await b.next())["text"]] == ["from a", "from a"]
    await get_channel_layer().group_send("room-lobby", {"type": "room.notice", "n": 1})
    assert json.loads((await b.next())["text"]) == {"event": {"type": "room.notice", "n": 1}}
    for ws in (a, b):
        ws.disconnect()
        await ws.done()


async def test_a_channels_consumer_runs_unchanged(asgi_app: ASGIApplication,
                                                  in_memory: None) -> None:
    from channels.layers import get_channel_layer

    ws_consumers.STATE.pop("async_disconnect", None)
    ws = Socket(asgi_app, ws_scope("/ws/consumer/async/lobby/", query=b"q=1",
                                   headers=await _cookie("asgi-consumer"),
                                   subprotocols=("chat.v0", "chat.v1")))
    assert (await ws.accepted())["subprotocol"] == "chat.v1"
    ws.text("scope")
    scope = json.loads((await ws.next())["text"])
    assert (scope["user"], scope["query_string"], scope["url_route"]["kwargs"]) == (
        "asgi-consumer", "q=1", {"room": "lobby"})
    await get_channel_layer().group_send("async-consumers",
                                         {"type": "chat.message", "text": "hi"})
    assert (await ws.next())["text"] == "group: hi"
    ws.text("bye")
    assert await ws.next() == {"type": "websocket.close", "code": 4002,
                               "reason": "consumer says bye"}
    ws.disconnect(4002)
    await ws.done()
    await until(lambda: ws_consumers.STATE.get("async_disconnect") == 4002)


async def test_a_cancel_that_meets_a_finished_send_is_not_lost() -> None:
    """A client that leaves as the server finishes a send cancels the view all the same.

    Python 3.11's asyncio.wait_for() returns the result of an inner future that is done
    by the time its own cancellation runs, and so drops the cancel
    (https://github.com/python/cpython/issues/86296): granian, which resolves sends
    from its own thread, left views running after the client had gone.
    """
    loop = asyncio.get_running_loop()
    sent: asyncio.Future[None] = loop.create_future()
    never: asyncio.Future[dict[str, str]] = loop.create_future()
    sending = asyncio.Event()

    async def send(message: dict[str, object]) -> None:
        sending.set()
        await sent

    async def receive() -> dict[str, str]:
        return await never

    options = AcceptOptions(None, None, 0, False, send_timeout=30)
    socket = ASGISocket(receive, send, asyncio.current_task(), "127.0.0.1", options)  # type: ignore[arg-type]
    sending_view = asyncio.ensure_future(socket.send_text("ready"))
    await sending.wait()
    sent.set_result(None)  # the server finishes the send...
    sending_view.cancel()  # ...as the client's disconnect cancels the view, in one loop turn
    with pytest.raises(asyncio.CancelledError):
        await sending_view
    await socket.stop()
    never.cancel()
