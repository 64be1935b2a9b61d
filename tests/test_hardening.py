"""Hostile input against a real gunicorn running AiohttpWorker: the malformed corpus,
the parser check at boot, and slow clients (slowloris).

Every malformed request gets its 4xx and a closed connection, leaves a warning in the
log, runs no view, and leaves the worker serving. The corpus is tests/malformed/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening_support import (
    MALFORMED,
    cases,
    exchange,
    hardening_gunicorn,
    marker_lines,
    status_of,
    wait_closed,
)
from tests.server import Gunicorn
from tests.worker_support import get, poll, worker_pid

WARNING = "[WARNING] Invalid request from ip=127.0.0.1: "


@pytest.fixture(scope="module")
def corpus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gunicorn, Path]]:
    """One worker on gunicorn's default limits; its /h/record/ runs land in the marker file."""
    marker = tmp_path_factory.mktemp("hardening") / "ran"
    with hardening_gunicorn(marker=marker) as g:
        g.wait_ready()
        yield g, marker


@pytest.mark.parametrize("name, expected, description", list(cases()),
                         ids=[c[0] for c in cases()])
def test_malformed_request(corpus_server: tuple[Gunicorn, Path], name: str, expected: str,
                           description: str) -> None:
    g, marker = corpus_server
    pid = worker_pid(g)
    warnings = g.output().count(WARNING)
    reply, closed = exchange(g.port, (MALFORMED / f"{name}.http").read_bytes())
    status = status_of(reply)
    if expected == "served":
        assert status == 200, reply[:200]
        poll(lambda: any(f"case={name} " in line for line in marker_lines(marker)), 5,
             "the view's record")
    else:
        assert closed, f"connection left open after {reply[:200]!r}"
        if expected == "4xx":
            assert status is not None and 400 <= status < 500, reply[:200]
        else:
            assert status == int(expected), reply[:200]
        poll(lambda: g.output().count(WARNING) > warnings, 5, "a warning line")
        line = g.output().rsplit(WARNING, 1)[1].split("\n", 1)[0]
        assert line, "the warning names the fault on its own line"
    # The worker lives on, serves the next request, and no malformed request ran a view.
    assert get(g.port, "/h/echo/?i=next").body == b"next"
    assert worker_pid(g) == pid
    ran = [line for line in marker_lines(marker) if "case=" in line]
    served = {n for n, e, _ in cases() if e == "served"}
    assert all(line.split("case=")[1].split()[0] in served for line in ran), ran


def test_invalid_chunk_after_the_head_never_reaches_the_view(
        corpus_server: tuple[Gunicorn, Path]) -> None:
    """The bad chunk arrives once the request is already being handled, its body read."""
    g, marker = corpus_server
    with socket.create_connection(("127.0.0.1", g.port), timeout=5) as sock:
        sock.sendall(b"POST /h/record/?case=late-bad-chunk HTTP/1.1\r\nHost: t\r\n"
                     b"Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n")
        time.sleep(0.3)  # let the handler start reading the body
        sock.sendall(b"5;\nx\r\nworld\r\n0\r\n\r\n")
        reply = sock.recv(65536)
        wait_closed(sock, 5)
    assert status_of(reply) == 400, reply[:200]
    assert get(g.port, "/h/echo/?i=after").body == b"after"
    assert not [line for line in marker_lines(marker) if "late-bad-chunk" in line]


def test_c_parser_runs_without_a_warning(corpus_server: tuple[Gunicorn, Path]) -> None:
    assert "SECURITY:" not in corpus_server[0].output()


def test_pure_python_parser_is_warned_about_at_boot() -> None:
    """AIOHTTP_NO_EXTENSIONS=1: a loud warning at boot; the worker still serves.

    It warns rather than refuses: a platform without aiohttp's wheel must still run.
    That parser is laxer: on aiohttp 3.14 it lets bare CR in chunk extensions and
    framing headers in trailers through (tests/malformed replays show it).
    """
    with hardening_gunicorn(env={"AIOHTTP_NO_EXTENSIONS": "1"}) as g:
        g.wait_ready()
        assert get(g.port, "/h/echo/?i=1").body == b"1"
        poll(lambda: "[WARNING] SECURITY: aiohttp is parsing HTTP with its pure-Python "
             "parser because AIOHTTP_NO_EXTENSIONS is set" in g.output(), 5, "the warning")


def _drip(port: int, out: dict[str, float | socket.socket], stop_after: float = 4.0) -> None:
    """Drip a request head a byte every 0.2 s until cut off; out: the socket, seconds taken."""
    sock = out["sock"] = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = b"GET /h/echo/?i=slow HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"p" * 1000
    start = time.monotonic()
    try:
        for byte in head:
            sock.sendall(bytes([byte]))
            time.sleep(0.2)
            if time.monotonic() - start > stop_after:
                break
    except (BrokenPipeError, ConnectionResetError):
        pass
    out["seconds"] = time.monotonic() - start


def test_slowloris_is_cut_off_while_others_are_served() -> None:
    """--timeout 2 bounds a request head to 2 s though --keep-alive is 30 s, on a new
    connection and on a kept-alive one; fast clients are served at once meanwhile."""
    with hardening_gunicorn("--timeout", "2", "--keep-alive", "30") as g:
        g.wait_ready()
        with socket.create_connection(("127.0.0.1", g.port), timeout=5) as kept:
            kept.sendall(b"GET /h/echo/?i=1 HTTP/1.1\r\nHost: t\r\n\r\n")
            assert kept.recv(65536).endswith(b"\r\n\r\n1")
            kept.sendall(b"GET /h/echo/?i=2 HTTP/1.1\r\nHost: t\r\n")  # never finished
            out: dict[str, float | socket.socket] = {}
            dripper = threading.Thread(target=_drip, args=(g.port, out))
            dripper.start()
            try:
                for i in range(5):
                    started = time.monotonic()
                    assert get(g.port, f"/h/echo/?i={i}").body == str(i).encode()
                    assert time.monotonic() - started < 0.5
                    time.sleep(0.2)
            finally:
                dripper.join()
            slow = out["sock"]
            assert isinstance(slow, socket.socket)
            with slow:
                assert out["seconds"] < 3.5, "the dripping connection was not cut in time"
                wait_closed(slow, 1)
            wait_closed(kept, 1)
        poll(lambda: g.output().count("Request head not complete within 2.0 s from "
                                      "ip=127.0.0.1; closing") >= 2, 5, "two warnings")


def test_stalled_body_gets_408_within_gunicorn_timeout(tmp_path: Path) -> None:
    """A body that stops arriving is bounded by --timeout, as a sync worker's would be;
    the view never runs, the worker keeps serving and the 408 is logged."""
    marker = tmp_path / "ran"
    with hardening_gunicorn("--timeout", "2", "--keep-alive", "30", marker=marker) as g:
        g.wait_ready()
        with socket.create_connection(("127.0.0.1", g.port), timeout=8) as sock:
            sent = time.monotonic()
            sock.sendall(b"POST /h/record/?case=stalled-body HTTP/1.1\r\nHost: t\r\n"
                         b"Content-Type: text/plain\r\nContent-Length: 50\r\n\r\nabc")
            reply = sock.recv(65536)
            wait_closed(sock, 5)
            assert 1.5 < time.monotonic() - sent < 4.5
        assert status_of(reply) == 408, reply[:200]
        assert get(g.port, "/h/echo/?i=after").body == b"after"
        assert not [line for line in marker_lines(marker) if "stalled-body" in line]
        poll(lambda: "stalled for 2.0 s" in g.output(), 5, "the 408 was not logged")


def test_silent_connection_is_closed_with_keepalive_off() -> None:
    """--keep-alive 0: aiohttp starts no idle timer, so the head timer must close a
    connection that never sends a byte, while another is served at once."""
    with hardening_gunicorn("--timeout", "2", "--keep-alive", "0") as g:
        g.wait_ready()
        with socket.create_connection(("127.0.0.1", g.port), timeout=5) as silent:
            connected = time.monotonic()
            assert get(g.port, "/h/echo/?i=ok").body == b"ok"
            assert time.monotonic() - connected < 0.5
            wait_closed(silent, 4)
            assert 1.5 < time.monotonic() - connected < 3.5
