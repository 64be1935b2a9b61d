"""statsd metrics and metrics.snapshot(), checked on a real gunicorn and a UDP listener.

gunicorn's own request metrics must arrive with or without an access log, as
under gthread, and the worker's gauges must carry --statsd-prefix and the
numbers snapshot() gives Python.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from async_handler import AsyncDjangoApplication, metrics
from tests.server import Gunicorn, LiveServer
from tests.worker_support import get, poll

ENV = {"DJANGO_SETTINGS_MODULE": "tests.env_settings",
       "ASYNC_HANDLER_TEST_URLCONF": "tests.metrics_urls"}


class StatsdListener:
    """A UDP socket on 127.0.0.1 that keeps every datagram gunicorn sends it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.setblocking(False)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.lines: list[str] = []

    def received(self) -> list[str]:
        while True:
            try:
                self.lines.append(self.sock.recv(65536).decode())
            except BlockingIOError:
                return self.lines

    def wait_for(self, pattern: str, what: str, timeout: float = 20.0) -> re.Match[str]:
        """The first datagram that matches `pattern` whole, once one has come."""
        def find() -> re.Match[str] | None:
            return next((m for line in self.received() if (m := re.fullmatch(pattern, line))),
                        None)

        return poll(find, timeout, what)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def statsd() -> StatsdListener:
    listener = StatsdListener()
    yield listener  # type: ignore[misc]
    listener.close()


@pytest.mark.parametrize("access_log", [False, True], ids=["no-access-log", "access-log"])
def test_gunicorn_request_metrics_with_or_without_an_access_log(
        statsd: StatsdListener, access_log: bool) -> None:
    """Each request sends gunicorn.requests, .request.duration and .request.status.<code>."""
    args = ["--statsd-host", statsd.address]
    if access_log:
        args += ["--access-logfile", "-"]
    with Gunicorn(*args, env=ENV) as g:
        g.wait_ready()
        assert get(g.port, "/sync/").status == 200
        assert get(g.port, "/no-such-page/").status == 404
        statsd.wait_for(r"gunicorn\.requests:1\|c\|@1\.0", "gunicorn.requests")
        statsd.wait_for(r"gunicorn\.request\.duration:\d+(\.\d+)?\|ms", "a request duration")
        statsd.wait_for(r"gunicorn\.request\.status\.200:1\|c\|@1\.0", "a 200 count")
        statsd.wait_for(r"gunicorn\.request\.status\.404:1\|c\|@1\.0", "a 404 count")
        if access_log:
            poll(lambda: '"GET /no-such-page/ HTTP/1.1" 404' in g.output(), 10, "the access log")
        else:
            assert "GET /sync/" not in g.output()


def test_worker_gauges_and_snapshot_under_load(statsd: StatsdListener, tmp_path: Path) -> None:
    """One pool thread: a sync request holds it and another waits; both show in the
    gauges under --statsd-prefix and in snapshot(), and a blocked loop shows as lag."""
    env = {**ENV, "ASYNC_HANDLER_TEST_SETTINGS": json.dumps({"THREADS": 1})}
    with Gunicorn("--statsd-host", statsd.address, "--statsd-prefix", "shop", env=env) as g:
        g.wait_ready()
        statsd.wait_for(r"shop\.async_handler\.pool\.busy:0\|g", "an idle pool.busy gauge")
        marker = tmp_path / "first"
        replies: list[int] = []
        clients = [threading.Thread(target=lambda path=path: replies.append(
            get(g.port, path, timeout=60).status))
            for path in (f"/marked-sync-sleep/?s=4&marker={marker}", "/marked-sync-sleep/?s=4")]
        clients[0].start()
        poll(marker.exists, 20, "the first sync request to start")
        clients[1].start()
        statsd.wait_for(r"shop\.async_handler\.pool\.queued:1\|g", "a waiting request")
        statsd.wait_for(r"shop\.async_handler\.pool\.busy:1\|g", "a busy thread")
        statsd.wait_for(r"shop\.async_handler\.connections:([2-9]|\d\d+)\|g", "2+ connections")
        statsd.wait_for(r"shop\.async_handler\.pool\.parked:\d+\|g", "a pool.parked gauge")
        snap = get(g.port, "/metrics/").json()
        assert set(snap) == set(metrics.NAMES)
        if snap["pool.queued"] == 1:  # unless the first request has finished meanwhile
            assert snap["pool.busy"] == 1 and snap["connections"] >= 3, snap
        for client in clients:
            client.join(60)
        assert replies == [200, 200]
        assert get(g.port, "/block-loop/?s=0.6").status == 200
        poll(lambda: any(float(m.group(1)) >= 400 for line in statsd.received()
                         if (m := re.fullmatch(r"shop\.async_handler\.loop\.lag_ms:([\d.]+)\|g",
                                               line))), 20, "a lag of 400 ms or more")


def test_gauges_wait_quietly_while_statsd_is_down(statsd: StatsdListener) -> None:
    """No error line a second while nothing listens; the gauges resume when it is back."""
    host, port = statsd.address.split(":")
    with Gunicorn("--statsd-host", statsd.address, env=ENV) as g:
        g.wait_ready()
        statsd.wait_for(r"async_handler\.connections:\d+\|g", "a gauge")
        statsd.close()
        time.sleep(3)  # the stimulus: three reports' time with the statsd server down
        assert "Error sending message to statsd" not in g.output(), g.output()
        back = StatsdListener(host, int(port))
        try:
            back.wait_for(r"async_handler\.connections:\d+\|g", "gauges again")
        finally:
            back.close()
        assert "Error sending message to statsd" not in g.output(), g.output()


async def test_lag_probe_sees_a_blocked_loop_at_once() -> None:
    probe = metrics.LagProbe(tick=0.05)
    probe.start(asyncio.get_running_loop())
    try:
        await asyncio.sleep(0.2)
        time.sleep(0.3)  # blocks the loop: the probe's timer is now late
        assert probe.lag >= 0.2
        await asyncio.sleep(0)
        assert probe.lag >= 0.2  # and it stays in the window after the loop recovers
    finally:
        probe.stop()


async def test_snapshot_is_the_serving_worker_s_numbers(app: AsyncDjangoApplication,
                                                        live_server: LiveServer) -> None:
    assert metrics.snapshot() == {}
    watched = metrics.WorkerMetrics(app, live_server.web_server)
    watched.start(None)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", live_server.port)
        try:
            for _ in range(200):
                snap = await asyncio.to_thread(metrics.snapshot)  # any thread may ask
                if snap["connections"] == 1:
                    break
                await asyncio.sleep(0.01)
            assert set(snap) == set(metrics.NAMES)
            assert snap["connections"] == 1 and snap["pool.busy"] == 0
        finally:
            writer.close()
    finally:
        watched.stop()
    assert metrics.snapshot() == {}
