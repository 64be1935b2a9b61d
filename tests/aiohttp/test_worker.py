"""gunicorn's settings under AiohttpWorker, each checked on a real gunicorn subprocess.

max_requests and its jitter, keep-alive, the access log format, the request
limits, TCP and unix binding, forwarded_allow_ips, --threads, and uvloop.
"""

from __future__ import annotations

import http.client
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.server import Gunicorn, raw_request
from tests.worker_support import (
    SETTINGS,
    UnixHTTPConnection,
    fetch,
    get,
    keepalive_client,
    listening_port,
    poll,
    served_pid,
    worker_pid,
)


def _runs(pids: list[int]) -> list[tuple[int, int]]:
    """(pid, requests served) for each worker, in the order they served."""
    runs: list[tuple[int, int]] = []
    for pid in pids:
        if runs and runs[-1][0] == pid:
            runs[-1] = (pid, runs[-1][1] + 1)
        elif any(p == pid for p, _ in runs):
            raise AssertionError(f"worker {pid} served again after its successor: {pids}")
        else:
            runs.append((pid, 1))
    return runs


def test_max_requests_recycles_under_keepalive_load_without_failures() -> None:
    """Four keep-alive clients see the worker replaced several times, no failed request,
    and each worker serving max_requests + jitter plus at most one request per other connection."""
    clients, per_client, limit, jitter = 4, 12, 10, 4
    with Gunicorn("--max-requests", str(limit), "--max-requests-jitter", str(jitter),
                  "--keep-alive", "5", env=SETTINGS) as g:
        g.wait_ready("/pid/")
        results: list[tuple[int, bool] | BaseException] = []
        threads = [threading.Thread(target=keepalive_client, args=(g.port, per_client, results))
                   for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert not failures, failures
        runs = _runs([r[0] for r in results if not isinstance(r, BaseException)])
        assert len(runs) >= 3, runs
        # The first worker also served wait_ready's probes; the last one is cut short.
        assert runs[0][1] <= limit + jitter + clients - 1, runs
        for _, served in runs[1:-1]:
            assert limit <= served <= limit + jitter + clients - 1, runs
        assert "Autorestarting worker after current request." in g.output()


def test_max_requests_jitter_and_connection_close_on_the_last_response() -> None:
    """Sequentially, each worker serves exactly 1..1+jitter requests, not all the same,
    and its last response says Connection: close so the client never reuses a dying connection."""
    with Gunicorn("--max-requests", "1", "--max-requests-jitter", "9",
                  "--keep-alive", "5", env=SETTINGS) as g:
        g.wait_ready("/pid/")
        conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=15)
        replies = []
        try:
            while len({r.json()["pid"] for r in replies}) < 6 and len(replies) < 90:
                replies.append(fetch(conn, "/pid/"))
        finally:
            conn.close()
        pids = [r.json()["pid"] for r in replies]
        runs = _runs(pids)
        complete = runs[1:-1]  # the first also served wait_ready's probes
        assert len(complete) >= 4, runs
        assert all(1 <= served <= 10 for _, served in complete), runs
        assert any(served > 1 for _, served in complete), f"jitter ignored: {runs}"
        for i, reply in enumerate(replies[:-1]):
            last_of_worker = pids[i + 1] != pids[i]
            assert (reply.headers.get("connection") == "close") == last_of_worker, (i, runs)


@pytest.mark.parametrize("keepalive", ["1", "0"])
def test_keepalive(keepalive: str) -> None:
    """--keep-alive 1 keeps a connection for the next request and closes it after ~1 s idle;
    --keep-alive 0 answers with Connection: close."""
    with Gunicorn("--keep-alive", keepalive, env=SETTINGS) as g:
        g.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10)
        try:
            first = fetch(conn, "/meta/")
            if keepalive == "0":
                assert first.headers.get("connection") == "close"
                assert conn.sock is None
                return
            second = fetch(conn, "/meta/")
            assert first.status == second.status == 200
            assert first.json()["meta"]["REMOTE_PORT"] == second.json()["meta"]["REMOTE_PORT"]
            assert conn.sock is not None
            idle_from = time.monotonic()
            assert conn.sock.recv(1) == b""
            idle = time.monotonic() - idle_from
            assert 0.8 <= idle <= 3.0, idle
        finally:
            conn.close()


def test_access_log_in_gunicorn_format() -> None:
    """--access-logformat atoms are filled as gunicorn fills them, body bytes excluding headers."""
    with Gunicorn("--access-logfile", "-", "--access-logformat",
                  "%(h)s %(r)s %(s)s %(b)s %({x-test}i)s", env=SETTINGS) as g:
        g.wait_ready()
        assert get(g.port, "/sync/?a=1", {"X-Test": "hello"}).body == b"hello sync"
        assert get(g.port, "/stream-async/?n=3&d=0", {"X-Test": "streamed"}).status == 200
        poll(lambda: "127.0.0.1 GET /sync/?a=1 HTTP/1.1 200 10 hello\n" in g.output(), 10,
             "the access log line of /sync/")
        poll(lambda: "127.0.0.1 GET /stream-async/?n=3&d=0 HTTP/1.1 200 21 streamed\n"
             in g.output(), 10, "the access log line of /stream-async/")


@pytest.mark.parametrize("worker", ["AiohttpWorker", "AiohttpUVLoopWorker"])
def test_worker_connections_holds_new_clients_in_the_backlog_until_one_closes(
        worker: str) -> None:
    if worker == "AiohttpUVLoopWorker":
        pytest.importorskip("uvloop")
    with Gunicorn("--worker-connections", "2", "--keep-alive", "30", env=SETTINGS,
                  worker=f"async_handler.worker.{worker}") as g:
        g.wait_ready()
        first = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10)
        second = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10)
        try:
            assert fetch(first, "/sync/").status == 200
            assert fetch(second, "/sync/").status == 200
            with socket.create_connection(("127.0.0.1", g.port), timeout=10) as third:
                third.sendall(b"GET /async/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                third.settimeout(0.5)
                with pytest.raises(TimeoutError):
                    third.recv(1)  # two connections are open: not accepted yet
                first.close()
                third.settimeout(10)
                reply = b""
                while chunk := third.recv(65536):
                    reply += chunk
            assert reply.startswith(b"HTTP/1.1 200 ") and reply.endswith(b"hello async")
            assert fetch(second, "/sync/").status == 200
        finally:
            first.close()
            second.close()


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: t\r\n\r\n", b"414"),
    (b"GET /sync/ HTTP/1.1\r\nHost: t\r\n"
     + b"".join(b"X-H%d: v\r\n" % i for i in range(10)) + b"\r\n", b"431"),
    (b"GET /sync/ HTTP/1.1\r\nHost: t\r\nX-Long: " + b"b" * 100 + b"\r\n\r\n", b"431"),
], ids=["request-line", "fields", "field-size"])
def test_request_limits(request_bytes: bytes, status: bytes) -> None:
    """gunicorn's limit_request_* give 414/431 with a warning, and the worker serves on;
    requests within the limits, past aiohttp's own defaults' reach, are served."""
    with Gunicorn("--limit-request-line", "100", "--limit-request-fields", "5",
                  "--limit-request-field_size", "60", env=SETTINGS) as g:
        g.wait_ready()
        pid = worker_pid(g)
        reply = raw_request(g.port, request_bytes)
        assert reply.split(b" ", 2)[1] == status, reply
        poll(lambda: "[WARNING] Invalid request from ip=127.0.0.1" in g.output(), 10,
             "the warning line")
        within = get(g.port, "/sync/?" + "q" * 60, {f"X-H{i}": "v" * 40 for i in range(3)})
        assert within.body == b"hello sync"
        assert worker_pid(g) == pid


def test_bind_tcp_port_chosen_by_gunicorn() -> None:
    """--bind 127.0.0.1:0: gunicorn binds, the worker serves there and reports the port."""
    with Gunicorn(bind="127.0.0.1:0", env=SETTINGS) as g:
        g.port = listening_port(g)
        g.wait_ready()
        meta = get(g.port, "/meta/").json()["meta"]
        assert meta["SERVER_PORT"] == str(g.port)


def test_bind_unix_socket() -> None:
    """--bind unix:PATH serves over the socket file, Host giving SERVER_NAME;
    gunicorn unlinks the file at exit."""
    path = Path(tempfile.mkdtemp(prefix="async_handler_unix_")) / "g.sock"
    with Gunicorn(bind=f"unix:{path}", env=SETTINGS) as g:
        def ask() -> dict[str, Any] | None:
            conn = UnixHTTPConnection(str(path), timeout=2)
            try:
                return fetch(conn, "/meta/", {"Host": "example.test:8080"}).json()
            except OSError:
                return None
            finally:
                conn.close()

        data = poll(ask, 30, "an answer on the unix socket")
        assert data["meta"]["SERVER_NAME"] == "example.test"
        assert data["meta"]["SERVER_PORT"] == "8080"
        assert data["meta"]["REMOTE_ADDR"] == ""
        assert data["host"] == "example.test:8080"
        assert f"Listening at: unix:{path}" in g.output()
    assert not path.exists()
    path.parent.rmdir()


@pytest.mark.parametrize("allow, scheme", [(None, "https"), ("10.9.9.9", "http")])
def test_forwarded_allow_ips(allow: str | None, scheme: str) -> None:
    """X-Forwarded-Proto: https makes request.scheme https only from forwarded_allow_ips peers."""
    args = ("--forwarded-allow-ips", allow) if allow else ()
    with Gunicorn(*args, env=SETTINGS) as g:
        g.wait_ready()
        data = get(g.port, "/meta/", {"X-Forwarded-Proto": "https"}).json()
        assert data["scheme"] == scheme
        assert data["secure"] is (scheme == "https")


@pytest.mark.parametrize("threads, setting, minimum, maximum", [
    ("2", None, 1.0, 3.0), ("3", None, 0.5, 0.95), ("3", "1", 1.5, 4.0)])
def test_threads_size_the_pool(threads: str, setting: str | None, minimum: float,
                               maximum: float) -> None:
    """Three concurrent 0.5 s sync views take 1 s with --threads 2, 0.5 s with 3,
    and 1.5 s when ASYNC_HANDLER['THREADS'] = 1 overrides --threads 3."""
    env = dict(SETTINGS, ASYNC_HANDLER_TEST_THREADS=setting or "")
    with Gunicorn("--threads", threads, env=env) as g:
        g.wait_ready()
        replies: list[bytes] = []
        workers = [threading.Thread(target=lambda: replies.append(
            get(g.port, "/sync-sleep/?s=0.5").body)) for _ in range(3)]
        started = time.monotonic()
        for t in workers:
            t.start()
        for t in workers:
            t.join(10)
        elapsed = time.monotonic() - started
        assert replies == [b"sync slept"] * 3
        assert minimum <= elapsed <= maximum, elapsed


def test_uvloop_worker_serves_on_uvloop() -> None:
    """AiohttpUVLoopWorker boots, runs its views on uvloop's loop, and serves sync views too."""
    pytest.importorskip("uvloop")
    with Gunicorn(worker="async_handler.worker.AiohttpUVLoopWorker", env=SETTINGS) as g:
        g.wait_ready()
        assert get(g.port, "/pid/").json()["loop"].startswith("uvloop")
        assert get(g.port, "/sync/").body == b"hello sync"
        assert get(g.port, "/async-sleep/?s=0.01").body == b"slept"
        assert served_pid(g.port) == worker_pid(g)



def test_worker_logs_system_checks_at_boot() -> None:
    """manage.py check never runs under gunicorn, so the worker reports W003 itself."""
    with Gunicorn(env={"ASYNC_HANDLER_TEST_DEBUG": "1"}) as server:
        server.wait_ready()
        deadline = time.monotonic() + 5
        while "async_handler.W003" not in server.output():
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.05)
    with Gunicorn() as server:
        server.wait_ready()
        assert "async_handler.W" not in server.output()


def test_wrapped_application_is_refused_with_a_clear_message() -> None:
    with Gunicorn(app="tests.worker_support:wrapped_application()") as server:
        assert server.proc.wait(30) != 0
        assert "not wrapped" in server.output()
