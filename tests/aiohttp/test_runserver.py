"""`manage.py runserver` with async_handler installed serves through the aiohttp stack."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def runserver(*args: str, debug: bool = False) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="tests.settings",
               PYTHONPATH=str(ROOT), ASYNC_HANDLER_TEST_DEBUG="1" if debug else "0")
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        path = Path(log.name)
    with open(path, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "django", "runserver", *args],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            match = re.search(r"Starting development server at (http://\S+?)/?\n", path.read_text())
            if match:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(path.read_text())
            time.sleep(0.05)
        yield match.group(1), proc, path
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        path.unlink()


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def test_runserver_uses_aiohttp_and_serves_async_views() -> None:
    with runserver("127.0.0.1:0", "--noreload", "--nothreading") as (url, _, log):
        status, headers, body = _get(url + "/async/")
        assert status == 200 and body == b"hello async"
        # Not Django's own WSGIServer (whose header names it); aiohttp's stack serves.
        assert not headers["Server"].startswith("WSGIServer"), headers["Server"]
        assert _get(url + "/sync/")[2] == b"hello sync"
        assert "--nothreading has no effect" in log.read_text()


def test_runserver_banner_names_async_handler() -> None:
    """The banner says async_handler's server is serving, and what to run in production."""
    with runserver("127.0.0.1:0", "--noreload") as (url, _, log):
        deadline = time.monotonic() + 10
        while "WARNING: This is a development server" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        banner = log.read_text()
    assert f"Starting development server at {url}/\nServed by async_handler " in banner
    assert "async views run concurrently on one event loop" in banner
    assert "run gunicorn with -k async_handler.worker.AiohttpWorker" in banner
    assert "Use a production WSGI or ASGI server" not in banner


def test_runserver_serves_static_files_in_debug() -> None:
    with runserver("127.0.0.1:0", "--noreload", debug=True) as (url, _, log):
        status, headers, body = _get(url + "/static/admin/css/base.css")
        assert status == 200 and headers["Content-Type"].startswith("text/css")
        deadline = time.monotonic() + 5
        while b"GET /static/admin/css/base.css" not in log.read_bytes():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)


def test_runserver_ipv6() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with runserver("-6", "[::1]:0", "--noreload") as (url, _, _log):
        assert _get(url + "/async/")[2] == b"hello async"


def test_runserver_autoreloader_restarts_on_change() -> None:
    with runserver("127.0.0.1:0") as (url, _, log):
        assert _get(url + "/async/")[0] == 200
        time.sleep(1.1)  # the stat reloader compares whole-second mtimes
        os.utime(ROOT / "tests" / "views.py")  # imported by the URLconf
        deadline = time.monotonic() + 20
        while log.read_text().count("Starting development server") < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        urls = re.findall(r"Starting development server at (http://\S+?)/?\n", log.read_text())
        new_url = urls[-1]
        assert _get(new_url + "/async/")[2] == b"hello async"
