"""The aiohttp end of a response: a ResponseSink over an aiohttp request.

It keeps the aiohttp response it built, which the access log and gunicorn's
post_request hook read.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from multidict import CIMultiDict

from ..core.exchange import Headers


class AiohttpSink:
    """Writes the core's response to an aiohttp request."""

    __slots__ = ("areq", "response", "closing")

    def __init__(self, areq: web.BaseRequest) -> None:
        self.areq = areq
        self.response: web.StreamResponse | None = None
        self.closing = False

    async def send(self, status: int, reason: str, headers: Headers, body: bytes) -> None:
        out = self.response = web.Response(body=body, status=status, reason=reason,
                                           headers=CIMultiDict(headers))
        if self.closing:
            out.force_close()
        await out.prepare(self.areq)
        await out.write_eof()

    async def start(self, status: int, reason: str, headers: Headers) -> None:
        out = self.response = web.StreamResponse(status=status, reason=reason,
                                                 headers=CIMultiDict(headers))
        if self.closing:
            out.force_close()
        await out.prepare(self.areq)

    async def write(self, data: bytes) -> None:
        assert self.response is not None
        await self.response.write(data)

    async def sendfile(self, file: object, offset: int, count: int) -> bool:
        """Let the kernel copy a real file to the socket, as gunicorn's file_wrapper does.

        The headers went out when the response was prepared (StreamResponse
        sends them at once), so the body can follow straight on the
        transport. False when that cannot be done here: a TLS or uvloop
        transport.
        """
        loop = asyncio.get_running_loop()
        transport = self.areq.transport
        if transport is None or not hasattr(loop, "sendfile"):
            return False
        try:
            await loop.sendfile(transport, file, offset, count, fallback=False)  # type: ignore[arg-type]
        except (NotImplementedError, RuntimeError):
            return False
        return True

    async def end(self) -> None:
        assert self.response is not None
        await self.response.write_eof()

    async def refuse(self, status: int, text: str) -> None:
        out = self.response = web.Response(status=status, text=text)
        out.force_close()

    def close_after(self) -> None:
        """Close the connection once the response is sent; said in its head if not sent yet."""
        self.closing = True
        if self.response is not None:
            self.response.force_close()
