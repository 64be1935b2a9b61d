"""WebSocket views under real servers: gunicorn with the aiohttp worker on asyncio and uvloop,
426 (never a 500) under gunicorn's own plain WSGI workers, and manage.py runserver."""

from __future__ import annotations

import aiohttp
import pytest

from tests.server import Gunicorn
from tests.ws_support import KEY, login_cookie


@pytest.mark.parametrize("worker", ["async_handler.worker.AiohttpWorker",
                                    "async_handler.worker.AiohttpUVLoopWorker"])
async def test_echo_and_session_under_gunicorn(worker: str, gunicorn_env: dict[str, str]) -> None:
    headers = await login_cookie("gunicorn-socket")
    with Gunicorn(worker=worker, env=gunicorn_env) as g:
        g.wait_ready()
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(f"{g.url}/ws/echo/") as ws:
                await ws.send_str("over gunicorn")
                assert await ws.receive_str() == "over gunicorn"
                await ws.send_bytes(b"\x00\x01")
                assert await ws.receive_bytes() == b"\x00\x01"
            async with client.ws_connect(f"{g.url}/ws/whoami/", headers=headers) as ws:
                reply = await ws.receive_json()
                assert reply["user"] == "gunicorn-socket"
                assert reply["pid"] in g.worker_pids()
                await ws.send_str("done")
            async with client.ws_connect(f"{g.url}/ws/closes/4001/") as ws:
                assert await ws.receive_str() == "bye"
                await ws.receive()
            assert ws.close_code == 4001
        assert "Traceback" not in g.output()


@pytest.mark.parametrize("worker, args", [("sync", ()), ("gthread", ("--threads", "2"))])
async def test_plain_wsgi_workers_answer_426(worker: str, args: tuple[str, ...],
                                             gunicorn_env: dict[str, str]) -> None:
    with Gunicorn(*args, worker=worker, env=gunicorn_env) as g:
        g.wait_ready()
        async with aiohttp.ClientSession() as client:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                async with client.ws_connect(f"{g.url}/ws/echo/"):
                    pass
            assert info.value.status == 426
            async with client.get(f"{g.url}/ws/echo/", headers={
                    "Upgrade": "websocket", "Connection": "Upgrade",
                    "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": KEY}) as response:
                assert response.status == 426
                assert "cannot upgrade connections to WebSocket" in await response.text()
        assert "Traceback" not in g.output()


async def test_runserver_serves_websockets() -> None:
    from tests.aiohttp.test_runserver import runserver

    with runserver("127.0.0.1:0", "--noreload") as (url, _, log):
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(f"{url}/ws/echo/") as ws:
                await ws.send_str("under runserver")
                assert await ws.receive_str() == "under runserver"
        assert "Traceback" not in log.read_text()
