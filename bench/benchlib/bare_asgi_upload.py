"""The upload section's ceiling for ASGI servers: a bare ASGI application hashing the body.

Served by uvicorn (`uvicorn benchlib.bare_asgi_upload:app`), with no Django and no
async_handler: the most uvicorn can take in and hash, against which our ASGI application's
streamed row is measured. It answers what `bare_upload.py` answers, and `GET /hello/sync/`.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Awaitable, Callable

Message = dict[str, Any]


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] != "/upload/":
        await _answer(send, b"hello", b"text/plain")
        return
    digest = hashlib.sha256()
    size = count = largest = 0
    first = 0.0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            if not count:
                first = time.monotonic()
            digest.update(chunk)
            size += len(chunk)
            count += 1
            largest = max(largest, len(chunk))
        if not message.get("more_body"):
            break
    answer = {
        "bytes": size,
        "sha256": digest.hexdigest(),
        "first_chunk": first,
        "last_chunk": time.monotonic(),
        "chunks": count,
        "largest_chunk": largest,
    }
    await _answer(send, json.dumps(answer).encode(), b"application/json")


async def _answer(send: Callable[[Message], Awaitable[None]], body: bytes, kind: bytes) -> None:
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
