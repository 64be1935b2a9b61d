"""Channels consumers as a Channels project writes them, served through consumer_view."""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    WebsocketConsumer,
)
from django.contrib.auth.models import User

#: What the tests read back: disconnect codes seen by the consumers.
STATE: dict[str, Any] = {}


def _scope_summary(scope: dict[str, Any]) -> dict[str, Any]:
    user = scope["user"]
    return {
        "type": scope["type"], "path": scope["path"],
        "query_string": scope["query_string"].decode(),
        "url_route": {"args": list(scope["url_route"]["args"]),
                      "kwargs": scope["url_route"]["kwargs"]},
        "user": user.username if user.is_authenticated else None,
        "session_user": scope["session"].get("_auth_user_id"),
        "client_host": scope["client"][0],
        "headers": {k.decode(): v.decode() for k, v in scope["headers"]
                    if k in (b"host", b"x-custom")},
        "subprotocols": scope["subprotocols"],
    }


class AsyncChat(AsyncWebsocketConsumer):
    groups = ["async-consumers"]

    async def connect(self) -> None:
        if self.scope["url_route"]["kwargs"].get("room") == "forbidden":
            await self.close()
            return
        offered = self.scope["subprotocols"]
        await self.accept("chat.v1" if "chat.v1" in offered else None)

    async def receive(self, text_data: str | None = None,
                      bytes_data: bytes | None = None) -> None:
        if text_data == "scope":
            await self.send(text_data=json.dumps(_scope_summary(self.scope)))
        elif text_data == "bye":
            await self.close(code=4002, reason="consumer says bye")
        elif text_data is not None:
            await self.send(text_data=text_data)
        else:
            await self.send(bytes_data=bytes_data)

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=f"group: {event['text']}")

    async def disconnect(self, code: int) -> None:
        STATE["async_disconnect"] = code


class JsonChat(AsyncJsonWebsocketConsumer):
    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"echo": content, "user": self.scope["user"].username or None})


class SyncChat(WebsocketConsumer):
    groups = ["sync-consumers"]

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Sync ORM, as a sync consumer may do.
        self.send(text_data=json.dumps({"users": User.objects.count(), "text": text_data}))

    def chat_message(self, event: dict[str, Any]) -> None:
        self.send(text_data=f"sync group: {event['text']}")

    def disconnect(self, code: int) -> None:
        STATE["sync_disconnect"] = code
