"""WebSocket views for the tests (tests/websocket/), under /ws/ in tests/urls.py."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.http import HttpResponse
from django.urls import get_urlconf

from async_handler.websocket import WebSocket, WebSocketDisconnect, websocket_view

#: What the in-process tests read back: close codes seen, cancellations, signals.
STATE: dict[str, Any] = {}


@websocket_view
async def echo(request: Any, ws: WebSocket) -> None:
    async for message in ws:
        if isinstance(message, str):
            await ws.send_text(message)
        else:
            await ws.send_bytes(message)
    STATE["client_close"] = (ws.close_code, ws.close_reason)


@websocket_view
async def echo_json(request: Any, ws: WebSocket) -> None:
    while True:
        document = await ws.receive_json()
        await ws.send_json({"echo": document})


@websocket_view
async def typed(request: Any, ws: WebSocket) -> None:
    """A text frame, then a binary one; anything else closes with 1003."""
    try:
        text = await ws.receive_text()
        data = await ws.receive_bytes()
    except TypeError as exc:
        await ws.close(1003, str(exc)[:100])
        return
    await ws.send_json({"text": text, "bytes": data.hex()})


@websocket_view
async def closes(request: Any, ws: WebSocket, code: int) -> None:
    await ws.send_text("bye")
    await ws.close(code, "closing on purpose")


@websocket_view(subprotocols=["chat.v2", "chat.v1"])
async def subprotocol(request: Any, ws: WebSocket) -> None:
    await ws.send_json({"offered": ws.subprotocols, "chosen": ws.subprotocol})


@login_required
@websocket_view
async def whoami(request: Any, ws: WebSocket) -> None:
    request.session["socket_visits"] = request.session.get("socket_visits", 0) + 1
    # Django 4.2 has no auser(); its sync login_required has loaded request.user already.
    user = await request.auser() if hasattr(request, "auser") else request.user
    await ws.send_json({"user": user.username,
                        "visits": request.session["socket_visits"], "pid": os.getpid()})
    await ws.receive()


@websocket_view
async def refuses(request: Any, ws: WebSocket) -> HttpResponse:
    return HttpResponse("not you", status=418)


@websocket_view
async def closes_first(request: Any, ws: WebSocket) -> None:
    await ws.close()


async def _sleeper(request: Any, ws: WebSocket) -> None:
    """Never reads the socket: only cancellation can end it.

    Counted wherever the cancel lands: the client may read "ready" before the
    server's send() has returned to the view (granian resolves it from its own
    thread), so a client that leaves at once can cancel the view inside send_text.
    """
    try:
        await ws.send_text("ready")
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        STATE["cancelled"] = STATE.get("cancelled", 0) + 1
        raise


cancellable = websocket_view(_sleeper)
cancellable_heartbeat = websocket_view(heartbeat=0.5)(_sleeper)


@websocket_view
async def orm(request: Any, ws: WebSocket) -> None:
    """An ORM call, then a wait on the socket that must not hold a pool thread."""
    count = await User.objects.acount()
    async for message in ws:
        await ws.send_json({"users": count, "message": message})


@websocket_view
async def raises(request: Any, ws: WebSocket) -> None:
    await ws.send_text("about to fail")
    raise RuntimeError("view failed")


@websocket_view(max_message_size=1024)
async def small(request: Any, ws: WebSocket) -> None:
    async for message in ws:
        await ws.send_text(f"got {len(message)}")
    STATE["small_close"] = ws.close_code


@websocket_view(heartbeat=0.5)
async def heartbeat(request: Any, ws: WebSocket) -> None:
    await ws.send_text("ready")
    async for message in ws:
        await ws.send_text(message)
    STATE["heartbeat_end"] = ws.close_code


@websocket_view
async def signals(request: Any, ws: WebSocket) -> None:
    await ws.send_json(STATE.get("signals", []))
    await ws.receive()


def _record(signal: str) -> Any:
    def receiver(**kwargs: Any) -> None:
        STATE.setdefault("signals", []).append(signal)
    return receiver


record_started, record_finished = _record("started"), _record("finished")


def listen_to_signals() -> None:
    STATE["signals"] = []
    request_started.connect(record_started)
    request_finished.connect(record_finished)


def stop_listening() -> None:
    request_started.disconnect(record_started)
    request_finished.disconnect(record_finished)


@websocket_view
async def room(request: Any, ws: WebSocket, name: str) -> None:
    """Joins room-<name>; says "joined", forwards events as JSON, relays what it receives."""
    group = f"room-{name}"
    await ws.join(group)
    await ws.send_json({"joined": group, "pid": os.getpid(), "channel": ws.channel_name})

    async def forward_events() -> None:
        async for event in ws.events():
            await ws.send_json({"event": event})

    task = asyncio.ensure_future(forward_events())
    try:
        async for message in ws:
            if message == "/leave":
                await ws.leave(group)
                await ws.send_text("left")
            elif message == "/here":
                await ws.send_text("here")
            else:
                await ws.group_send(group, {"type": "websocket.send", "text": message})
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@websocket_view
async def no_layer(request: Any, ws: WebSocket) -> None:
    try:
        await ws.join("anything")
    except Exception as exc:
        await ws.send_json({"error": type(exc).__name__, "message": str(exc)})


@websocket_view
async def pid(request: Any, ws: WebSocket) -> None:
    """Says which worker serves it, then echoes text."""
    await ws.send_json({"pid": os.getpid()})
    async for message in ws:
        await ws.send_text(str(message))


@websocket_view(send_timeout=0.5)
async def flood(request: Any, ws: WebSocket) -> None:
    """Sends 64 KiB messages as fast as the client takes them."""
    block = b"x" * 65536
    try:
        while True:
            await ws.send_bytes(block)
            STATE["flood_sent"] = STATE.get("flood_sent", 0) + 1
    except asyncio.CancelledError:
        STATE["flood_end"] = "cancelled"
        raise
    except WebSocketDisconnect as exc:  # the send under way when the client was dropped
        STATE["flood_end"] = f"disconnected {exc.code}"


@websocket_view(compression=False, check_origin=False)
async def open_plain(request: Any, ws: WebSocket) -> None:
    """Per-view options: no compression, any site's pages may connect."""
    async for message in ws:
        await ws.send_text(str(message))


@websocket_view
async def state(request: Any, ws: WebSocket) -> None:
    """What a server process saw: cancelled views, close codes, and its live task count."""
    await ws.send_json({"cancelled": STATE.get("cancelled", 0),
                        "small_close": STATE.get("small_close"),
                        "client_close": STATE.get("client_close"),
                        "flood_sent": STATE.get("flood_sent", 0),
                        "flood_end": STATE.get("flood_end"),
                        "tasks": len(asyncio.all_tasks())})


@websocket_view
async def backlog(request: Any, ws: WebSocket) -> None:
    """Joins "backlog" and reads no event until the client says so; then sends each event's n."""
    await ws.join("backlog")
    await ws.send_text("joined")
    await ws.receive()
    async for event in ws.events():
        await ws.send_text(str(event["n"]))


@websocket_view
async def sits(request: Any, ws: WebSocket, name: str) -> None:
    """Joins `name` and never reads: only cancellation ends it."""
    await ws.join(name)
    await ws.send_text("joined")
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        STATE["sits_cancelled"] = STATE.get("sits_cancelled", 0) + 1
        raise


@websocket_view
async def released(request: Any, ws: WebSocket) -> None:
    """Says which of its connection's HTTP-parsing objects outlive the accept."""
    import gc
    import weakref

    from async_handler.websocket.transport import UPGRADE_KEY

    protocol = request.META[UPGRADE_KEY]._request.protocol
    queue = weakref.ref(protocol._messages)  # aiohttp's queue of parsed requests
    scanner = protocol._scanner is not None
    await ws.accept()
    gc.collect()
    await ws.send_json({"scanner_before": scanner, "queue": queue() is not None,
                        "parser": protocol._parser is not None,
                        "scanner": protocol._scanner is not None})
    async for _message in ws:
        pass


@websocket_view
async def tried(request: Any, ws: WebSocket) -> None:
    """Says how many URL patterns its resolver_match lists, before and after the accept."""
    before = len(request.resolver_match.tried)
    await ws.accept()
    match = request.resolver_match
    await ws.send_json({"before": before, "after": len(match.tried), "route": match.route,
                        "last": [str(p.pattern) for p in match.tried[-1]],
                        "urlconf": get_urlconf()})
    async for _message in ws:
        pass
