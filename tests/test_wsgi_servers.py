"""The same `application` under plain WSGI servers: gunicorn's sync and gthread workers, wsgiref.

Adopting async_handler must never break a deployment that keeps its WSGI server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from tests.server import Gunicorn
from tests.worker_support import get
from tests.wsgi_app import application

EXPECTED = {
    "/sync/": (200, b"hello sync"),
    "/async/": (200, b"hello async"),
    "/coroutine/": (200, b"awaited coroutine"),
    "/async-sleep/?s=0.01": (200, b"slept"),
    "/stream-sync/?n=3&d=0": (200, b"chunk0\nchunk1\nchunk2\n"),
    "/stream-async/?n=3&d=0": (200, b"chunk0\nchunk1\nchunk2\n"),
    "/cookies/": (299, b"cookies"),
}


def _check(port: int) -> None:
    answers = {path: get(port, path) for path in EXPECTED}
    assert {path: (r.status, r.body) for path, r in answers.items()} == EXPECTED
    cookies = answers["/cookies/"].headers
    assert "set-cookie" in cookies


@pytest.mark.parametrize("worker, args", [("sync", ()), ("gthread", ("--threads", "4"))])
def test_gunicorn_builtin_workers(worker: str, args: tuple[str, ...]) -> None:
    """gunicorn's sync and gthread workers serve sync, async and streaming views."""
    with Gunicorn(*args, worker=worker) as g:
        g.wait_ready()
        _check(g.port)
        assert f"Using worker: {worker}" in g.output()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def wsgiref_port() -> Iterator[int]:
    """wsgiref's reference WSGI server in a thread, serving the test project's application."""
    server = make_server("127.0.0.1", 0, application, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.mark.filterwarnings(
    "ignore:StreamingHttpResponse must consume asynchronous iterators:Warning")
def test_wsgiref(wsgiref_port: int) -> None:
    """wsgiref.simple_server, a bare WSGI container, serves every kind of view.

    Django itself warns when a WSGI server streams an async iterator; that is
    its documented behaviour, not ours, so that one warning is let through.
    """
    _check(wsgiref_port)
