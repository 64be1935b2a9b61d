"""An aiohttp request's body as the chunks the core reads (core/body.py).

It answers `Expect: 100-continue` as the first chunk is asked for, cuts
off a body that stops arriving, and turns aiohttp's framing errors into
MalformedBody.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..core.exchange import BodyTimeout, MalformedBody


class _IdleWatch:
    """Fails a body read that sees no bytes for `timeout` seconds.

    One timer per body, re-armed lazily: each chunk only records the time.
    As nginx's client_body_timeout, it is the gap between reads that counts, so
    a slow but steady upload is not cut off.
    """

    __slots__ = ("loop", "content", "timeout", "last", "handle")

    def __init__(self, content: Any, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.content = content
        self.timeout = timeout
        self.last = self.loop.time()
        self.handle: asyncio.TimerHandle | None = self.loop.call_later(timeout, self._check)

    def _check(self) -> None:
        left = self.last + self.timeout - self.loop.time()
        if left > 0:
            self.handle = self.loop.call_later(left, self._check)
            return
        self.handle = None
        self.content.set_exception(BodyTimeout(self.timeout))

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


def body_chunks(areq: web.BaseRequest, timeout: float | None) -> AsyncIterator[bytes] | None:
    """The body's chunks as they arrive, or None when the request has no body."""
    if not areq.body_exists:
        return None
    return _chunks(areq, timeout)


async def _chunks(areq: web.BaseRequest, timeout: float | None) -> AsyncIterator[bytes]:
    if areq.version >= (1, 1) and areq.headers.get("Expect", "").lower() == "100-continue":
        # The interim response goes straight to the transport: it is not the
        # response, and aiohttp's writer would count it as one.
        transport = areq.transport
        if transport is not None:
            transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    content = areq.content
    watch = _IdleWatch(content, timeout) if timeout else None
    try:
        while chunk := await content.readany():
            if watch is not None:
                watch.last = watch.loop.time()
            yield chunk
    except HttpProcessingError as exc:
        # Bad chunked framing, or a body cut short: aiohttp's parser put its error on the
        # stream (and answers it itself); a view reading the stream sees it as the core's.
        raise MalformedBody(f"Malformed request body: {exc.message}") from exc
    finally:
        if watch is not None:
            watch.cancel()
