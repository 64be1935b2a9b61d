"""Reading request bodies: forms, chunked, spooled uploads, the size limits and the idle timeout."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import aiohttp
import pytest
from django.test import override_settings

from async_handler import AsyncDjangoApplication
from async_handler.core.exchange import RequestOptions
from tests.server import LiveServer


async def _post(url: str, **kwargs: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, **kwargs) as r:
            text = await r.text()
            return r.status, json.loads(text) if r.status == 200 else text


async def test_form_post_and_body(live_server: LiveServer) -> None:
    status, data = await _post(live_server.url + "/body/", data={"a": "1", "b": "é"})
    assert status == 200 and data["post"] == {"a": ["1"], "b": ["é"]}
    payload = b"x" * 100_000
    status, data = await _post(live_server.url + "/body/", data=payload,
                               headers={"Content-Type": "application/octet-stream"})
    assert data["length"] == len(payload)
    assert data["sha256"] == hashlib.sha256(payload).hexdigest()


async def test_chunked_request_body(live_server: LiveServer) -> None:
    async def gen() -> Any:
        for _ in range(10):
            yield b"y" * 10_000

    status, data = await _post(live_server.url + "/body/", data=gen(),
                               headers={"Content-Type": "application/octet-stream"})
    assert status == 200 and data["length"] == 100_000


async def test_multipart_upload_spools_large_files_to_disk(live_server: LiveServer) -> None:
    """Django keeps a whole request under FILE_UPLOAD_MAX_MEMORY_SIZE in memory, else disk."""
    form = aiohttp.FormData()
    form.add_field("small", b"s" * 1000, filename="small.bin")
    form.add_field("field", "value")
    status, data = await _post(live_server.url + "/upload/", data=form)
    assert status == 200 and data["files"]["small"]["on_disk"] is False
    assert data["post"] == {"field": ["value"]}
    form = aiohttp.FormData()
    form.add_field("large", b"L" * 1_000_000, filename="large.bin")
    status, data = await _post(live_server.url + "/upload/", data=form)
    assert status == 200
    assert data["files"]["large"] == {"size": 1_000_000, "on_disk": True,
                                      "sha256": hashlib.sha256(b"L" * 1_000_000).hexdigest()}


@pytest.mark.parametrize("chunked", [False, True])
async def test_body_over_data_upload_max_is_400(live_server: LiveServer, chunked: bool,
                                               caplog: pytest.LogCaptureFixture) -> None:
    payload = b"z" * (300 * 1024)  # DATA_UPLOAD_MAX_MEMORY_SIZE is 256 KiB in tests

    async def gen() -> Any:
        yield payload

    status, text = await _post(live_server.url + "/body/", data=gen() if chunked else payload,
                               headers={"Content-Type": "application/octet-stream"})
    assert status == 400
    assert any("RequestDataTooBig" in r.getMessage() or r.name.endswith("RequestDataTooBig")
               for r in caplog.records)


async def test_server_cap_answers_413() -> None:
    with override_settings(ASYNC_HANDLER={"MAX_BODY_SIZE": 500_000}):
        app = AsyncDjangoApplication()
        await app.startup(threads=2)
    server = await LiveServer.start(app)
    try:
        form = aiohttp.FormData()
        form.add_field("f", b"F" * 600_000, filename="f.bin")
        status, _ = await _post(server.url + "/upload/", data=form)
        assert status == 413
        # the worker goes on serving
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "/async/") as r:
                assert r.status == 200
    finally:
        await server.stop()
        await app.shutdown()


async def _post_slowly(port: int, pieces: list[bytes], gap: float, declared: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /body/ HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % declared)
        for piece in pieces:
            await asyncio.sleep(gap)
            writer.write(piece)
            await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)  # until the server closes
    finally:
        writer.close()
        await writer.wait_closed()


async def test_stalled_body_gets_408_but_a_slow_steady_one_is_served(
        caplog: pytest.LogCaptureFixture) -> None:
    app = AsyncDjangoApplication()
    await app.startup(RequestOptions(body_timeout=0.3), threads=2)
    server = await LiveServer.start(app)
    try:
        with caplog.at_level(logging.WARNING, logger="async_handler"):
            stalled = await _post_slowly(server.port, [b"x" * 10], 0, declared=100)
        assert stalled.startswith(b"HTTP/1.1 408 ")
        assert any("stalled" in r.getMessage() for r in caplog.records)
        # Six pieces 0.1 s apart: longer than the timeout in all, never idle that long.
        steady = await _post_slowly(server.port, [b"y" * 10] * 6, 0.1, declared=60)
        assert steady.startswith(b"HTTP/1.1 200 ") and b'"length": 60' in steady
    finally:
        await server.stop()
        await app.shutdown()
