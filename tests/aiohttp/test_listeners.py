"""Listeners: paused, clients wait in the backlog; resumed, they are served; closed, refused."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from async_handler.aiohttp.listeners import Listeners, connection_cap


class Greeter(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(b"hi")
        transport.close()


@pytest.fixture
async def listening() -> AsyncIterator[tuple[Listeners, int]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    listeners = Listeners(Greeter, [sock], backlog=16, ssl_context=None)
    await listeners.start()
    try:
        yield listeners, port
    finally:
        await listeners.close()


async def _greeting(port: int, wait: float) -> bytes | None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(reader.read(), wait)
    except asyncio.TimeoutError:
        return None
    finally:
        writer.close()
        await writer.wait_closed()


async def test_pause_holds_clients_and_resume_serves_them(
        listening: tuple[Listeners, int]) -> None:
    listeners, port = listening
    assert await _greeting(port, 5) == b"hi"
    listeners.want(False)
    await asyncio.sleep(0)
    for _ in range(50):
        if not listeners.accepting:
            break
        await asyncio.sleep(0.01)
    assert not listeners.accepting
    waiting = asyncio.ensure_future(_greeting(port, 5))
    done, _ = await asyncio.wait([waiting], timeout=0.3)
    assert not done  # connected to the backlog, but not accepted
    listeners.want(True)
    assert await waiting == b"hi"


async def test_the_cap_follows_the_connection_count(listening: tuple[Listeners, int]) -> None:
    listeners, _ = listening
    changed = connection_cap(3, listeners)
    changed(3)
    for _ in range(50):
        if not listeners.accepting:
            break
        await asyncio.sleep(0.01)
    assert not listeners.accepting
    changed(2)
    for _ in range(50):
        if listeners.accepting:
            break
        await asyncio.sleep(0.01)
    assert listeners.accepting


async def test_close_refuses_new_clients(listening: tuple[Listeners, int]) -> None:
    listeners, port = listening
    await listeners.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
