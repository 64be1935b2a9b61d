"""Helpers for the WebSocket tests: polling, a raw handshake, a logged-in session cookie."""

from __future__ import annotations

import asyncio
import base64
import os
import time
from typing import Any

from asgiref.sync import sync_to_async

KEY = base64.b64encode(os.urandom(16)).decode()


async def until(predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not met within {timeout} s"
        await asyncio.sleep(0.02)


def handshake(path: str, *, method: str = "GET", version: str | None = "13",
              key: str | None = KEY, extra: str = "") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket",
             "Connection: Upgrade"]
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


async def open_raw(port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A socket upgraded by hand, its 101 head read: for clients that misbehave."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(handshake(path))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def close_raw(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        pass


def _session_cookie(username: str) -> str:
    from django.contrib.auth.models import User
    from django.test import Client

    user, _ = User.objects.get_or_create(username=username)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def login_cookie(username: str) -> dict[str, str]:
    return {"Cookie": f"sessionid={await sync_to_async(_session_cookie)(username)}"}
