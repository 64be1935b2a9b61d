"""Multipart bodies as parts, each with its headers and own chunks, by aiohttp's parser.

aiohttp's MultipartReader and BodyPartReader need read/readline/at_eof/
unread_data of the stream they parse. _Feed gives them that over the body's
chunk iterator, pulling a chunk only when the parser asks, so a slow part
consumer slows the client as the raw iterator does, with no task between.
Every parse error, whatever aiohttp raises it as, becomes MalformedBody.
"""

from __future__ import annotations

import binascii
from typing import Any, AsyncIterator, Mapping

from aiohttp import BodyPartReader, MultipartReader
from aiohttp.hdrs import CONTENT_DISPOSITION, CONTENT_TYPE
from aiohttp.http_exceptions import HttpProcessingError

from ..core.exchange import MalformedBody

#: Bytes asked of a part per chunk: aiohttp reads and scans for the boundary in these.
PART_CHUNK = 64 * 1024
_PARSE_ERRORS = (ValueError, RuntimeError, HttpProcessingError, binascii.Error, AssertionError)


class _Feed:
    """The stream interface aiohttp's multipart readers call, over an async chunk iterator."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()
        self._eof = False

    async def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    async def read(self, n: int = -1) -> bytes:
        while not self._buffer and await self._fill():
            pass
        n = len(self._buffer) if n < 0 else n
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                line = bytes(self._buffer[:end + 1])
                del self._buffer[:end + 1]
                return line
            if max_line_length is not None and len(self._buffer) > max_line_length:
                raise MalformedBody("multipart header line too long")
            start = len(self._buffer)
            if not await self._fill():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def at_eof(self) -> bool:
        return self._eof and not self._buffer

    def unread_data(self, data: bytes) -> None:
        self._buffer[:0] = data


class Part:
    """One part of a multipart body: name, filename, content type, headers, and its chunks."""

    def __init__(self, reader: BodyPartReader) -> None:
        self._reader = reader
        self.headers: Mapping[str, str] = reader.headers
        self.name: str | None = reader.name
        self.filename: str | None = reader.filename
        self.content_type: str = reader.headers.get(CONTENT_TYPE, "text/plain")

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        reader = self._reader
        try:
            while not reader.at_eof():
                chunk = await reader.read_chunk(PART_CHUNK)
                async for data in reader.decode_iter(chunk):
                    if data:
                        yield bytes(data)
        except MalformedBody:
            raise
        except _PARSE_ERRORS as exc:
            raise MalformedBody(f"Malformed multipart part {self.name!r}: {exc}") from exc

    async def read(self) -> bytes:
        """The whole part, decoded; for small fields."""
        return b"".join([chunk async for chunk in self])

    async def text(self, encoding: str | None = None) -> str:
        """The whole part as text, in its declared charset (else UTF-8)."""
        data = await self.read()
        try:
            return data.decode(encoding or self._reader.get_charset(default="utf-8"))
        except (UnicodeDecodeError, LookupError) as exc:
            raise MalformedBody(f"Multipart part {self.name!r} is not text: {exc}") from exc


async def parts(chunks: AsyncIterator[bytes], content_type: str) -> AsyncIterator[Part]:
    """The body's parts in order; a part not read to its end is skipped when the next is asked."""
    if not content_type.lower().startswith("multipart/"):
        raise MalformedBody(f"Not a multipart body: {content_type or 'no Content-Type'}")
    try:
        reader = MultipartReader({CONTENT_TYPE: content_type}, _Feed(chunks))  # type: ignore[arg-type]
    except _PARSE_ERRORS as exc:
        raise MalformedBody(f"Bad multipart Content-Type: {exc}") from exc
    form_data = reader._mimetype.subtype == "form-data"
    while True:
        try:
            item: Any = await reader.next()
        except MalformedBody:
            raise
        except _PARSE_ERRORS as exc:
            raise MalformedBody(f"Malformed multipart body: {exc}") from exc
        if item is None:
            return
        if not isinstance(item, BodyPartReader):
            raise MalformedBody("Nested multipart parts are not supported")
        if form_data and (CONTENT_DISPOSITION not in item.headers or item.name is None):
            # RFC 7578 4.2: each form-data part has a Content-Disposition with a name.
            raise MalformedBody("A multipart/form-data part has no Content-Disposition name")
        yield Part(item)
