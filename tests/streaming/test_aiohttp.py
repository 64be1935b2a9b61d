"""@stream_body on the aiohttp front end (in-process server): the view starts with the head,
reads as the client sends, slows it down, and limits, failures and disconnects are answered."""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import django
import pytest

from async_handler import AsyncDjangoApplication
from async_handler.core.exchange import RequestOptions
from tests.server import LiveServer
from tests.streaming.support import (
    as_json,
    chunk,
    connect,
    digest,
    head,
    pattern,
    read_reply,
    spool_fds,
    wait_for,
)

MiB = 1024 * 1024


def _threads() -> int:
    """Threads other than the test client's (asyncio.to_thread's) and the bounded pool's own."""
    return sum(not t.name.startswith(("asyncio_", "async_handler_")) for t in threading.enumerate())


@pytest.fixture
async def small_server() -> AsyncIterator[tuple[LiveServer, AsyncDjangoApplication]]:
    """A server with a 1 MiB MAX_BODY_SIZE and a 1 s body idle timeout."""
    app = AsyncDjangoApplication()
    await app.startup(RequestOptions(max_body_size=MiB, body_timeout=1.0), threads=4)
    server = await LiveServer.start(app)
    try:
        yield server, app
    finally:
        await server.stop()
        await app.shutdown()


async def test_first_chunk_reaches_the_view_while_the_client_sends(
        live_server: LiveServer, tmp_path: Path) -> None:
    data = pattern(2 * MiB)

    def client() -> tuple[int, bytes]:
        with connect(live_server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}", length=len(data)))
            sock.sendall(data[:64 * 1024])
            wait_for(tmp_path / "first")  # the view has a chunk; the client is not done
            sock.sendall(data[64 * 1024:])
            status, _, body, _ = read_reply(sock)
            return status, body

    status, body = await asyncio.to_thread(client)
    assert status == 200, body
    assert as_json(body) == {"size": len(data), "sha256": digest(data), "replayed": False,
                             "content_length": len(data)}


async def test_a_slow_view_holds_the_client_back(live_server: LiveServer, tmp_path: Path) -> None:
    """Until the view reads on, the client cannot get more than socket buffers ahead."""
    total, pause = 64 * MiB, MiB
    data = pattern(total)
    ahead: list[int] = []

    def client() -> tuple[int, bytes]:
        with connect(live_server.port) as sock:
            # A fixed send buffer: the kernel's autotuning would only add noise to the bound.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, MiB)
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}&wait={pause}&progress=1",
                              length=total))
            sock.setblocking(False)
            sent = 0
            while sent < total:
                try:
                    sent += sock.send(data[sent:sent + 256 * 1024])
                    continue
                except BlockingIOError:
                    pass
                if not select.select([], [sock], [], 2.0)[1] and not ahead:
                    # Stalled for 2 s: the server stopped reading.
                    ahead.append(sent - int((tmp_path / "progress").read_text()))
                    (tmp_path / "go").touch()
            sock.setblocking(True)
            status, _, body, _ = read_reply(sock)
            return status, body

    status, body = await asyncio.to_thread(client)
    assert status == 200 and as_json(body)["sha256"] == digest(data)
    assert ahead and ahead[0] < 24 * MiB, ahead


async def test_past_max_body_size_the_view_sees_body_too_large_and_the_client_413(
        small_server: tuple[LiveServer, AsyncDjangoApplication], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    server, _ = small_server

    def client() -> tuple[int, bytes, bool]:
        with connect(server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}", chunked=True))
            try:
                for _ in range(64):
                    sock.sendall(chunk(b"x" * 64 * 1024))
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, _, body, closed = read_reply(sock)
            return status, body, closed

    status, body, closed = await asyncio.to_thread(client)
    assert (status, closed) == (413, True), body
    assert (tmp_path / "cleanup").read_text() == "BodyTooLarge"
    assert "413" in caplog.text


async def test_a_view_that_swallows_body_too_large_still_answers_413(
        small_server: tuple[LiveServer, AsyncDjangoApplication], tmp_path: Path) -> None:
    server, _ = small_server

    def client() -> tuple[int, bool]:
        with connect(server.port) as sock:
            sock.sendall(head("/stream/swallow/", chunked=True))
            try:
                for _ in range(64):
                    sock.sendall(chunk(b"x" * 64 * 1024))
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, _, _, closed = read_reply(sock)
            return status, closed

    assert await asyncio.to_thread(client) == (413, True)


async def test_a_declared_length_over_the_limit_is_refused_before_the_view(
        small_server: tuple[LiveServer, AsyncDjangoApplication], tmp_path: Path) -> None:
    server, _ = small_server

    def client() -> int:
        with connect(server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}", length=2 * MiB))
            return read_reply(sock)[0]

    assert await asyncio.to_thread(client) == 413
    assert not (tmp_path / "cleanup").exists() and not (tmp_path / "first").exists()


async def test_a_stalled_body_gets_408(
        small_server: tuple[LiveServer, AsyncDjangoApplication], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """A Content-Length longer than what arrives: the idle timeout answers it."""
    server, _ = small_server

    def client() -> tuple[int, bool]:
        with connect(server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}", length=1000) + b"x" * 10)
            status, _, _, closed = read_reply(sock)
            return status, closed

    assert await asyncio.to_thread(client) == (408, True)
    assert (tmp_path / "cleanup").read_text() == "BodyTimeout"
    assert "408" in caplog.text


async def test_a_view_that_leaves_the_body_unread_closes_the_connection(
        live_server: LiveServer) -> None:
    def client() -> tuple[int, bytes, bool]:
        with connect(live_server.port) as sock:
            sock.sendall(head("/stream/first-bytes/", length=4 * MiB) + b"x" * 1000)
            status, _, body, closed = read_reply(sock)
            return status, body, closed

    status, body, closed = await asyncio.to_thread(client)
    assert (status, closed) == (200, True) and body.startswith(b"first ")


async def test_a_client_that_leaves_mid_upload_cancels_the_view_and_leaks_nothing(
        live_server: LiveServer, app: AsyncDjangoApplication, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    baseline = len(asyncio.all_tasks())
    threads = _threads()

    def client() -> None:
        with connect(live_server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}", length=8 * MiB) + b"x" * MiB)
            wait_for(tmp_path / "first")

    await asyncio.to_thread(client)
    cleanup = tmp_path / "cleanup"
    for _ in range(500):
        if cleanup.exists() and len(asyncio.all_tasks()) <= baseline:
            break
        await asyncio.sleep(0.02)
    assert cleanup.read_text() == "CancelledError"
    assert len(asyncio.all_tasks()) <= baseline
    assert app.pool is not None and app.pool.busy == 0
    assert _threads() <= threads and spool_fds() == [], [t.name for t in threading.enumerate()]


@pytest.mark.skipif(django.VERSION < (5, 0), reason="method_decorator keeps async methods async "
                    "from Django 5.0 (tests/stream_urls.py)")
async def test_a_class_based_view_with_method_decorator_streams(
        live_server: LiveServer, tmp_path: Path) -> None:
    data = pattern(300_000)

    def client() -> tuple[int, bytes]:
        with connect(live_server.port) as sock:
            sock.sendall(head(f"/stream/class/?dir={tmp_path}", length=len(data)))
            sock.sendall(data[:1000])
            wait_for(tmp_path / "first")
            sock.sendall(data[1000:])
            status, _, body, _ = read_reply(sock)
            return status, body

    status, body = await asyncio.to_thread(client)
    assert status == 200 and as_json(body)["sha256"] == digest(data)


async def test_a_chunked_body_streams(live_server: LiveServer, tmp_path: Path) -> None:
    data = pattern(500_000)

    def client() -> tuple[int, bytes]:
        with connect(live_server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}", chunked=True))
            sock.sendall(chunk(data[:1000]))
            wait_for(tmp_path / "first")
            sock.sendall(chunk(data[1000:]) + b"0\r\n\r\n")
            status, _, body, _ = read_reply(sock)
            return status, body

    status, body = await asyncio.to_thread(client)
    assert status == 200
    assert as_json(body) == {"size": len(data), "sha256": digest(data), "replayed": False,
                             "content_length": None}


def test_sync_views_cannot_be_decorated() -> None:
    from async_handler.streaming import stream_body

    with pytest.raises(TypeError, match="async def"):
        stream_body(lambda request, body: None)


logging.getLogger("async_handler").setLevel(logging.DEBUG)
