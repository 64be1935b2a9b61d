"""A client that goes away cancels its async view, stops its stream, and leaks nothing."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from typing import Any

from async_handler import AsyncDjangoApplication
from tests import views
from tests.server import Gunicorn, LiveServer


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def _open(port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    await writer.drain()
    return reader, writer


async def _leave(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


async def test_disconnect_cancels_async_view(live_server: LiveServer,
                                             app: AsyncDjangoApplication) -> None:
    views.STATE.pop("cancelled", None)
    views.STATE.pop("cancellable_started", None)
    baseline = len(asyncio.all_tasks())
    _, writer = await _open(live_server.port, "/cancellable/")
    await _until(lambda: views.STATE.get("cancellable_started"))
    await _leave(writer)
    await _until(lambda: views.STATE.get("cancelled"))
    await _until(lambda: len(asyncio.all_tasks()) <= baseline)
    assert app.pool is not None and app.pool.busy == 0


async def test_disconnect_stops_async_stream(live_server: LiveServer) -> None:
    views.STATE.pop("async_stream_done", None)
    reader, writer = await _open(live_server.port, "/stream-async/?n=100000&d=0.01")
    await reader.readuntil(b"chunk1")
    await _leave(writer)
    await _until(lambda: views.STATE.get("async_stream_done"))


async def test_disconnect_during_sync_view_frees_the_thread(
        live_server: LiveServer, app: AsyncDjangoApplication) -> None:
    """The sync view cannot be interrupted; its result is dropped and its thread returned."""
    _, writer = await _open(live_server.port, "/sync-sleep/?s=0.5")
    assert app.pool is not None
    await _until(lambda: app.pool is not None and app.pool.busy == 1)
    await _leave(writer)
    await _until(lambda: app.pool is not None and app.pool.busy == 0)


async def test_disconnect_before_body_completes_never_runs_the_view(
        live_server: LiveServer) -> None:
    views.STATE.pop("body_seen", None)
    reader, writer = await asyncio.open_connection("127.0.0.1", live_server.port)
    writer.write(b"POST /body/ HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                 b"Content-Length: 100000\r\n\r\n" + b"x" * 1000)
    await writer.drain()
    await asyncio.sleep(0.1)
    await _leave(writer)
    # the server is still healthy and the view saw nothing
    reader, writer = await _open(live_server.port, "/async/")
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    await _leave(writer)


def test_disconnect_cancels_view_under_gunicorn() -> None:
    with tempfile.TemporaryDirectory() as tmp, Gunicorn() as server:
        server.wait_ready()
        marker = os.path.join(tmp, "cancelled")

        async def run() -> None:
            _, writer = await _open(server.port, f"/cancellable/?marker={marker}")
            await asyncio.sleep(0.3)
            await _leave(writer)
            await _until(lambda: os.path.exists(marker))

        asyncio.run(run())
        with open(marker) as fh:
            assert fh.read() == "cancelled"


async def test_cancel_reaches_code_a_sync_call_sends_to_the_loop_only_later() -> None:
    """Cancelled before its thread reached async_to_sync (a wrapping middleware still in its
    own code), the call's nested code is cancelled as it starts, not left running."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import async_to_sync

    from async_handler.core import hop

    entered, go, seen = threading.Event(), threading.Event(), []

    async def below() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        return "ran to the end"

    def middleware() -> str:
        entered.set()
        go.wait(30)
        try:
            return async_to_sync(below)()
        except asyncio.CancelledError:
            seen.append("unwound")
            raise

    with ThreadPoolExecutor(1) as executor:
        call = asyncio.ensure_future(hop.run_in(executor, middleware))
        await _until(entered.is_set)
        call.cancel()
        try:
            await call
        except asyncio.CancelledError:
            pass
        go.set()
        await _until(lambda: seen == ["cancelled", "unwound"], timeout=30)
