"""Streaming uploads: a page that sends a large file to @stream_body views hashing it on arrival.

``hash_raw`` takes the file as the request body, ``hash_parts`` a multipart form; both hash
each chunk as it comes off the socket, so the worker holds a chunk at a time however large the
file, and the view starts as soon as the request's head is in. The page sends the CSRF token in
the X-CSRFToken header: CsrfViewMiddleware then has no form field to look for and leaves the
body to the view. A token sent as a form field instead makes the middleware read the whole
body first (``replayed`` in the answer), which the page lets you try.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from async_handler import conf
from async_handler.streaming import RequestBody, stream_body

#: A form field that is not a file is read whole, so it is kept small.
FIELD_MAX = 64 * 1024


def upload_page(request: HttpRequest) -> HttpResponse:
    """The page: a file picker for each view; rendering the token also sets the CSRF cookie."""
    return render(request, "demo/upload.html", {"max_body_size": conf.get("MAX_BODY_SIZE")})


class _Hasher:
    """sha256 and byte count of chunks as they arrive, and when the first one came."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.first: float | None = None

    async def feed(self, chunks: AsyncIterable[bytes]) -> None:
        async for chunk in chunks:
            if self.first is None:
                self.first = time.monotonic()
            self.digest.update(chunk)
            self.size += len(chunk)


def _timings(started: float, first: float | None) -> dict[str, Any]:
    """The view's own clock: from its start (the head was in) to its first chunk and its end."""
    seconds = time.monotonic() - started
    return {
        "first_chunk_ms": None if first is None else round((first - started) * 1000, 1),
        "seconds": round(seconds, 3),
        "worker": os.getpid(),
    }


@stream_body
async def hash_raw(request: HttpRequest, body: RequestBody) -> JsonResponse:
    """Hash the request body, the file itself, chunk by chunk."""
    started = time.monotonic()
    hasher = _Hasher()
    await hasher.feed(body)
    answer = _timings(started, hasher.first)
    answer.update(
        bytes=hasher.size,
        sha256=hasher.digest.hexdigest(),
        content_length=body.content_length,
        replayed=body.replayed,
        mb_s=round(hasher.size / max(answer["seconds"], 1e-6) / 1e6, 1),
    )
    return JsonResponse(answer)


@stream_body
async def hash_parts(request: HttpRequest, body: RequestBody) -> JsonResponse:
    """Hash each file of a multipart form as its part arrives; read small fields whole."""
    started = time.monotonic()
    first: float | None = None
    parts: list[dict[str, Any]] = []
    async for part in body.parts():
        first = first or time.monotonic()
        if part.filename is None:
            text = await _field(part)
            if text is None:
                return JsonResponse(
                    {"error": f"field {part.name!r} is over {FIELD_MAX} bytes"}, status=400
                )
            if part.name == "csrfmiddlewaretoken":  # the page's replay demo; not worth showing
                text = "(the CSRF token, which the middleware checked)"
            parts.append({"name": part.name, "value": text})
            continue
        hasher = _Hasher()
        await hasher.feed(part)
        parts.append(
            {
                "name": part.name,
                "filename": part.filename,
                "content_type": part.content_type,
                "bytes": hasher.size,
                "sha256": hasher.digest.hexdigest(),
            }
        )
    answer = _timings(started, first)
    answer.update(parts=parts, bytes=body.received, replayed=body.replayed)
    answer["mb_s"] = round(body.received / max(answer["seconds"], 1e-6) / 1e6, 1)
    return JsonResponse(answer)


async def _field(part: AsyncIterable[bytes]) -> str | None:
    """A form field's text, or None past FIELD_MAX (read in chunks, so never more than that)."""
    data = bytearray()
    async for chunk in part:
        data += chunk
        if len(data) > FIELD_MAX:
            return None
    return data.decode("utf-8", "replace")
