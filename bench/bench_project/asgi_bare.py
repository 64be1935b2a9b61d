"""A bare ASGI hello, no Django: the server's own per-request cost, the ceiling for the others."""

from __future__ import annotations

from typing import Any

_START = {"type": "http.response.start", "status": 200,
          "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"5")]}
_BODY = {"type": "http.response.body", "body": b"hello"}


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await receive()
    await send(_START)
    await send(_BODY)
