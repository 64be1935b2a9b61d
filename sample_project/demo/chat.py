"""A chat: a page per room and a WebSocket view that broadcasts to everyone in the room.

The socket's handshake goes through the project's middleware, so the user name comes from
the login session, and a user who is not logged in is sent to the login page. Messages go
to every socket in the room, on every worker, through settings.CHANNEL_LAYERS.
"""
from __future__ import annotations

import json
import os
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from async_handler.websocket import WebSocket, websocket_view

LOGIN_URL = "/admin/login/"
MAX_LENGTH = 500


@login_required(login_url=LOGIN_URL)
def chat_page(request: HttpRequest, room: str) -> HttpResponse:
    return render(request, "demo/chat.html", {"room": room})


@login_required(login_url=LOGIN_URL)
@websocket_view
async def chat_socket(request: Any, ws: WebSocket, room: str) -> None:
    group = f"chat-{room}"
    user = (await request.auser()).get_username()

    async def say(kind: str, text: str) -> None:
        await ws.group_send(group, {"type": "websocket.send", "text": json.dumps(
            {"kind": kind, "user": user, "text": text, "worker": os.getpid()})})

    await ws.join(group)
    await say("joined", "")
    try:
        async for message in ws:
            if isinstance(message, str) and message.strip():
                await say("message", message.strip()[:MAX_LENGTH])
    finally:
        await ws.leave(group)
        await say("left", "")
