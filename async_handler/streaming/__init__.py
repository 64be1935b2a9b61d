"""Streaming request bodies: an async view that reads its upload as it arrives (@stream_body).

    @stream_body
    async def upload(request, body):
        async for chunk in body:
            ...

See README "Streaming uploads". The core leaves such a view's body with the
front end (core/stream.py); this package is the view's side of it.
"""

from __future__ import annotations

from ..core.exchange import BodyTimeout, BodyTooLarge, MalformedBody
from .body import RequestBody
from .decorator import stream_body
from .multipart import Part

__all__ = ["BodyTimeout", "BodyTooLarge", "MalformedBody", "Part", "RequestBody", "stream_body"]
