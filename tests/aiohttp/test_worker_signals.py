"""AiohttpWorker's process lifecycle under a real gunicorn: SIGTERM, the heartbeat, --reload."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

from tests.server import ROOT, Gunicorn
from tests.worker_support import (
    SETTINGS,
    Reply,
    connection_refused,
    fetch,
    get,
    keepalive_client,
    poll,
    served_pid,
    worker_pid,
)


def _in_thread(port: int, path: str, out: dict[str, Reply | BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            out[path] = get(port, path, timeout=15)
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            out[path] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _read_to_close(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_sigterm_finishes_in_flight_requests_and_refuses_new_ones(tmp_path: Path) -> None:
    """On SIGTERM an in-flight async view, sync view and upload (its body still arriving)
    all get their full 200 response, an idle keep-alive connection is closed, new
    connections are refused, and the worker exits by itself within graceful_timeout."""
    with Gunicorn("--graceful-timeout", "4", "--keep-alive", "30", env=SETTINGS) as g, \
            socket.create_connection(("127.0.0.1", g.port), timeout=10) as upload:
        g.wait_ready()
        pid = worker_pid(g)
        idle = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10)
        assert fetch(idle, "/sync/").status == 200
        half = b"u" * 10000
        upload.sendall(b"POST /body/ HTTP/1.1\r\nHost: t\r\nContent-Length: 20000\r\n"
                       b"Content-Type: application/octet-stream\r\n\r\n" + half)
        replies: dict[str, Reply | BaseException] = {}
        markers = [tmp_path / "async", tmp_path / "sync"]
        paths = [f"/marked-async-sleep/?s=2&marker={markers[0]}",
                 f"/marked-sync-sleep/?s=2&marker={markers[1]}"]
        threads = [_in_thread(g.port, path, replies) for path in paths]
        poll(lambda: all(m.exists() for m in markers), 10, "both views to start")
        assert g.sock is not None
        g.sock.close()
        g.sock = None
        term_at = time.monotonic()
        g.signal(signal.SIGTERM)
        try:
            assert idle.sock is not None
            assert idle.sock.recv(1) == b""
            closed_after = time.monotonic() - term_at
        finally:
            idle.close()
        poll(lambda: connection_refused(g.port), 2, "new connections to be refused")
        refused_after = time.monotonic() - term_at
        upload.sendall(half)
        uploaded = _read_to_close(upload)
        for thread in threads:
            thread.join(15)
        g.proc.wait(10)
        exited_after = time.monotonic() - term_at
        assert isinstance(replies[paths[0]], Reply), replies
        assert isinstance(replies[paths[1]], Reply), replies
        assert replies[paths[0]].status == replies[paths[1]].status == 200
        assert replies[paths[0]].body == b"async done " + b"x" * 1000
        assert replies[paths[1]].body == b"sync done " + b"y" * 1000
        head, _, body = uploaded.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in head, head
        assert json.loads(body)["sha256"] == hashlib.sha256(half + half).hexdigest()
        assert closed_after < 1.5 and refused_after < 1.5, (closed_after, refused_after)
        assert exited_after < 6.0, exited_after
        assert g.proc.returncode == 0
        output = g.output()
        assert f"Worker exiting (pid: {pid})" in output, output
        assert "SIGKILL" not in output and "Traceback" not in output, output


def test_heartbeat_survives_long_awaits_and_long_sync_views() -> None:
    """With --timeout 2 the worker lives through an idle spell, a 3.5 s asyncio.sleep
    and a 3.5 s sync view in the thread pool: the loop keeps beating meanwhile."""
    with Gunicorn("--timeout", "2", env=SETTINGS) as g:
        g.wait_ready()
        pid = worker_pid(g)
        replies: dict[str, Reply | BaseException] = {}
        threads = [_in_thread(g.port, path, replies)
                   for path in ("/async-sleep/?s=3.5", "/sync-sleep/?s=3.5")]
        for thread in threads:
            thread.join(15)
        assert [getattr(r, "body", r) for r in replies.values()] in (
            [b"slept", b"sync slept"], [b"sync slept", b"slept"]), replies
        assert worker_pid(g) == pid == served_pid(g.port)
        assert "WORKER TIMEOUT" not in g.output()


def test_heartbeat_kills_a_worker_whose_loop_is_blocked() -> None:
    """time.sleep inside an async view past --timeout gets the worker aborted, with a log
    line naming the view and request, and a new worker serving in its place."""
    with Gunicorn("--timeout", "2", env=SETTINGS) as g:
        g.wait_ready()
        pid = worker_pid(g)
        started = time.monotonic()
        try:
            reply: Reply | None = get(g.port, "/block-loop/?s=30", timeout=15)
        except (http.client.RemoteDisconnected, ConnectionError):
            reply = None
        assert reply is None, reply
        assert time.monotonic() - started < 8
        assert poll(lambda: served_pid(g.port) != pid, 10, "a new worker")
        output = g.output()
        assert f"WORKER TIMEOUT (pid:{pid})" in output
        assert ("Event loop blocked for over 2 s in tests.worker_views.block_loop"
                " serving GET /block-loop/") in output, output
        assert "time.sleep(float(request.GET.get(\"s\", \"10\")))" in output


def test_reload_restarts_the_worker_on_a_code_change() -> None:
    """With --reload, changing a module the worker imported restarts the worker,
    and the new worker serves the new code."""
    tmp = Path(tempfile.mkdtemp(prefix="async_handler_reload_"))
    module = f"reload_target_{os.getpid()}"
    source = tmp / f"{module}.py"
    source.write_text("VALUE = 'one'\n")
    env = dict(SETTINGS, WORKER_RELOAD_MODULE=module, PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=f"{ROOT}{os.pathsep}{tmp}")
    try:
        with Gunicorn("--reload", "--graceful-timeout", "1", env=env) as g:
            g.wait_ready("/reload-value/")
            value, pid = get(g.port, "/reload-value/").body.decode().split()
            assert value == "one"
            source.write_text("VALUE = 'two'\n")
            bump = time.time()

            def reloaded() -> bool:
                nonlocal bump
                new_value, new_pid = get(g.port, "/reload-value/").body.decode().split()
                if new_value == "two" and new_pid != pid:
                    return True
                bump += 1
                os.utime(source, (bump, bump))
                return False

            poll(reloaded, 20, "the reloaded worker", interval=0.3)
            # Another test may touch a module this worker imported too, so the
            # log may name that file rather than ours.
            assert "Worker reloading: " in g.output()
    finally:
        source.unlink()
        tmp.rmdir()


def test_sighup_replaces_workers_under_keepalive_load_without_failures() -> None:
    """SIGHUP to the master swaps both workers while four keep-alive clients, which never
    retry, run: no request fails, because the old workers' last responses say Connection: close."""
    with Gunicorn("-w", "2", "--keep-alive", "5", env=SETTINGS) as g:
        g.wait_ready("/pid/")
        old = set(poll(lambda: g.worker_pids() if len(g.worker_pids()) == 2 else None, 10,
                       "two workers"))
        results: list[tuple[int, bool] | BaseException] = []
        threads = [threading.Thread(target=keepalive_client, args=(g.port, 150, results))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        poll(lambda: len(results) >= 40, 10, "the load to run")
        g.signal(signal.SIGHUP)
        for thread in threads:
            thread.join(60)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert not failures, (failures, g.output())
        assert len(results) == 600
        served = [r[0] for r in results if not isinstance(r, BaseException)]
        assert set(served[-20:]).isdisjoint(old), "the new workers should serve the end"
