"""RequestBody: what a @stream_body view gets, the body as an async iterator of chunks."""

from __future__ import annotations

from typing import AsyncIterator

from aiohttp.http_exceptions import HttpProcessingError

from ..core.exchange import MalformedBody
from .multipart import Part, parts


class RequestBody:
    """The request body's chunks as they arrive, once; or its multipart parts.

    `content_length` is the declared length (None for a chunked body),
    `received` the bytes handed out so far (for progress), and `replayed` is
    True when code before the view read the body whole, so that it comes
    from memory or a spool rather than off the socket.
    """

    def __init__(self, chunks: AsyncIterator[bytes], content_length: int | None,
                 content_type: str, replayed: bool) -> None:
        self._chunks = chunks
        self.content_length = content_length
        self.content_type = content_type
        self.replayed = replayed
        self.received = 0

    def __aiter__(self) -> RequestBody:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = await self._chunks.__anext__()
        except HttpProcessingError as exc:
            # Bad chunked framing or a body cut short, as aiohttp's parser found it (and
            # answers and logs itself); the view sees it as every malformed body.
            raise MalformedBody(f"Malformed request body: {exc.message}") from exc
        self.received += len(chunk)
        return chunk

    def parts(self) -> AsyncIterator[Part]:
        """The parts of a multipart/* body, each with its headers and its own chunks.

        MalformedBody if the body is not multipart, or not well-formed.
        """
        return parts(self, self.content_type)

    async def aclose(self) -> None:
        """Stop reading; the rest of the body is left unread (the connection then closes)."""
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()
