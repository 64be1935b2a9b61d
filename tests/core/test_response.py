"""Responses: plain, streamed chunk by chunk, files without buffering, HEAD, cookies, close."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import aiohttp

from async_handler import AsyncDjangoApplication
from tests import views
from tests.server import LiveServer, raw_request


async def test_head_has_headers_but_no_body(live_server: LiveServer) -> None:
    reply = await asyncio.to_thread(
        raw_request, live_server.port,
        b"HEAD /sync/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK") and b"Content-Length: 10" in head
    assert body == b""


async def test_cookies_and_reason_phrase(live_server: LiveServer) -> None:
    reply = await asyncio.to_thread(
        raw_request, live_server.port,
        b"GET /cookies/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    head = reply.partition(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 299 Custom Reason")
    cookies = [line for line in head.split("\r\n") if line.startswith("Set-Cookie:")]
    assert cookies == ["Set-Cookie: a=1; Path=/", "Set-Cookie: b=2; HttpOnly; Path=/"]


async def _first_chunk_timing(url: str) -> tuple[float, float, bytes]:
    async with aiohttp.ClientSession() as session:
        start = time.monotonic()
        async with session.get(url) as r:
            first = await r.content.readline()
            first_at = time.monotonic() - start
            rest = await r.read()
        return first_at, time.monotonic() - start, first + rest


async def test_sync_iterator_streams_chunk_by_chunk(live_server: LiveServer) -> None:
    first_at, total, body = await _first_chunk_timing(
        live_server.url + "/stream-sync/?n=3&d=0.6")
    assert body == b"chunk0\nchunk1\nchunk2\n"
    assert first_at < 0.5 and total >= 1.2


async def test_async_iterator_streams_chunk_by_chunk(live_server: LiveServer) -> None:
    first_at, total, body = await _first_chunk_timing(
        live_server.url + "/stream-async/?n=3&d=0.6")
    assert body == b"chunk0\nchunk1\nchunk2\n"
    assert first_at < 0.5 and total >= 1.2


async def test_file_response_is_not_read_into_memory(live_server: LiveServer) -> None:
    """A 64 MiB FileResponse goes out in blocks: peak Python memory stays far below it."""
    async with aiohttp.ClientSession() as session:
        async with session.get(live_server.url + "/file/?mb=1") as r:
            await r.read()  # create the file before measuring
        tracemalloc.start()
        try:
            size = 0
            async with session.get(live_server.url + "/file/?mb=64") as r:
                assert r.headers["Content-Length"] == str(64 * 1024 * 1024)
                assert "attachment" in r.headers["Content-Disposition"]
                async for chunk in r.content.iter_chunked(1 << 16):
                    size += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert size == 64 * 1024 * 1024
    assert peak < 8 * 1024 * 1024


async def test_close_called_when_client_leaves_mid_stream(
        live_server: LiveServer, app: AsyncDjangoApplication) -> None:
    views.STATE.pop("sync_stream_closed", None)
    reader, writer = await asyncio.open_connection("127.0.0.1", live_server.port)
    writer.write(b"GET /stream-sync/?n=1000&d=0.02 HTTP/1.1\r\nHost: t\r\n\r\n")
    await reader.readuntil(b"chunk0")
    writer.close()
    await writer.wait_closed()
    deadline = time.monotonic() + 5
    while not views.STATE.get("sync_stream_closed") or (app.pool and app.pool.busy):
        assert time.monotonic() < deadline, "stream not closed or thread not freed"
        await asyncio.sleep(0.02)


async def test_file_response_bytes_are_exact(live_server: LiveServer) -> None:
    """The kernel-copied body matches the file, from the file's current offset."""
    expected = bytes(range(256)) * 12_288
    async with aiohttp.ClientSession() as session:
        for skip in (0, 1000):
            async with session.get(f"{live_server.url}/pattern-file/?skip={skip}") as r:
                body = await r.read()
            assert body == expected[skip:]
