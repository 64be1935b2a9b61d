"""The WebSocket section's views: echo and fan-out, as @websocket_view and as Channels consumers.

The fan-out socket joins the group named in `?g=` and then says `ready <pid>`, so the client
knows it is subscribed and which worker holds it. Group messages are `websocket.send` for our
view (forwarded to the socket without waking the view, groups.py) and `bench.message` for the
consumers (their handler sends it on, as a Channels app does).
"""

from __future__ import annotations

import os
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.http import HttpRequest

from async_handler.websocket import WebSocket, websocket_view

from .ws_groups import SocketMembership


@websocket_view
async def echo(request: HttpRequest, ws: WebSocket) -> None:
    async for message in ws:
        if isinstance(message, str):
            await ws.send_text(message)
        else:
            await ws.send_bytes(message)


async def _fanout(request: HttpRequest, ws: WebSocket) -> None:
    await ws.join(request.GET["g"])
    await ws.send_text(f"ready {os.getpid()}")
    async for _message in ws:
        pass


fanout = websocket_view(_fanout)


@websocket_view
async def fanout_socket(request: HttpRequest, ws: WebSocket) -> None:
    """The other subscription model (issue 12, point 4): a layer channel per socket."""
    ws._membership = SocketMembership(ws)  # type: ignore[assignment]
    await _fanout(request, ws)


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data: Any = None, bytes_data: Any = None) -> None:
        await self.send(text_data=text_data, bytes_data=bytes_data)


class FanoutConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = self.scope["query_string"].decode().partition("g=")[2]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=f"ready {os.getpid()}")

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def bench_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])
