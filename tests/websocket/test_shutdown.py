"""Open WebSockets and the worker's lifecycle, on real gunicorn masters: SIGTERM and
max_requests close every socket with 1001 and the worker exits within graceful_timeout; a
socket is one request for max_requests; open sockets count against --worker-connections."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from typing import Any

import aiohttp
import pytest

from tests.server import Gunicorn


async def _open(client: aiohttp.ClientSession, g: Gunicorn, n: int, path: str = "/ws/echo/",
                ) -> list[Any]:
    sockets = []
    for i in range(n):
        ws = await client.ws_connect(f"{g.url}{path}")
        if path == "/ws/echo/":
            await ws.send_str(f"open {i}")
            assert await ws.receive_str() == f"open {i}"
        else:
            assert await ws.receive_str() == "ready"
        sockets.append(ws)
    return sockets


async def _all_going_away(sockets: list[Any]) -> None:
    for ws in sockets:
        msg = await ws.receive(timeout=30)
        assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 1001,
                                                   "server shutting down")


@pytest.mark.parametrize("worker", ["async_handler.worker.AiohttpWorker",
                                    "async_handler.worker.AiohttpUVLoopWorker"])
async def test_sigterm_closes_every_socket_with_1001_and_the_worker_exits(
        worker: str, gunicorn_env: dict[str, str]) -> None:
    graceful = 60
    with Gunicorn("--graceful-timeout", str(graceful), worker=worker, env=gunicorn_env) as g:
        g.wait_ready()
        async with aiohttp.ClientSession() as client:
            sockets = await _open(client, g, 3) + await _open(client, g, 3, "/ws/cancellable/")
            started = time.monotonic()
            g.signal(signal.SIGTERM)
            await _all_going_away(sockets)
            code = await asyncio.get_running_loop().run_in_executor(None, g.proc.wait, graceful)
            # Without the 1001 close, the sockets would hold the worker the whole grace period.
            assert time.monotonic() - started < graceful
        assert code == 0
        assert "Traceback" not in g.output()


async def test_a_socket_is_one_request_for_max_requests(gunicorn_env: dict[str, str]) -> None:
    """With max_requests 10, three sockets exchange 150 messages and the worker stays; more
    sockets are opened until one is served by a fresh worker: the first worker took fewer
    than ten sockets (the readiness probes count too), and each of them was closed with 1001."""
    with Gunicorn("--max-requests", "10", "--max-requests-jitter", "0", env=gunicorn_env) as g:
        g.wait_ready()
        async with aiohttp.ClientSession() as client:
            first = await client.ws_connect(f"{g.url}/ws/pid/")
            pid = (await first.receive_json())["pid"]
            sockets = [first] + await _open(client, g, 2)
            for ws in sockets:
                for i in range(50):
                    await ws.send_str(str(i))
                    assert await ws.receive_str() == str(i)
            assert g.worker_pids() == [pid]
            while True:
                ws = await client.ws_connect(f"{g.url}/ws/pid/")
                if (await ws.receive_json())["pid"] != pid:
                    await ws.close()
                    break
                sockets.append(ws)
                assert len(sockets) <= 10, "ten sockets on one worker and no restart"
            assert 3 < len(sockets) < 10
            await _all_going_away(sockets)
        assert "Autorestarting worker after current request." in g.output()


async def test_open_sockets_count_against_worker_connections(
        gunicorn_env: dict[str, str]) -> None:
    with Gunicorn("--worker-connections", "3", env=gunicorn_env) as g:
        g.wait_ready()
        async with aiohttp.ClientSession() as client:
            sockets = await _open(client, g, 3)
            loop = asyncio.get_running_loop()
            with socket.create_connection(("127.0.0.1", g.port), timeout=10) as fourth:
                fourth.sendall(b"GET /sync/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                fourth.settimeout(0.5)
                with pytest.raises(TimeoutError):
                    await loop.run_in_executor(None, fourth.recv, 1)  # three sockets are open
                await sockets[0].close()
                fourth.settimeout(10)
                reply = await loop.run_in_executor(None, fourth.recv, 65536)
            assert reply.startswith(b"HTTP/1.1 200 ")
            for ws in sockets[1:]:
                await ws.send_str("still open")
                assert await ws.receive_str() == "still open"
                await ws.close()
