"""The same @stream_body views under real servers: gunicorn with our aiohttp worker, uvicorn
(ASGI), gunicorn's sync worker and wsgiref (plain WSGI), and `manage.py runserver`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from async_handler.streaming.wsgi import BLOCK
from tests.asgi.servers import ASGIServer
from tests.server import Gunicorn
from tests.streaming.support import (
    as_json,
    chunk,
    connect,
    digest,
    head,
    multipart,
    pattern,
    read_reply,
    wait_for,
)
from tests.wsgi_app import application

MiB = 1024 * 1024
DATA = pattern(3 * MiB)


def streams_while_sending(port: int, folder: Path) -> None:
    """The view has its first chunk before the client sends the rest; the digest is right.

    A WSGI server's input is read in blocks (BLOCK), so a whole block is sent first.
    """
    with connect(port) as sock:
        sock.sendall(head(f"/stream/digest/?dir={folder}", length=len(DATA)) + DATA[:BLOCK])
        wait_for(folder / "first")
        sock.sendall(DATA[BLOCK:])
        status, _, body, _ = read_reply(sock)
    assert status == 200, body
    assert as_json(body) == {"size": len(DATA), "sha256": digest(DATA), "replayed": False,
                             "content_length": len(DATA)}


def chunked_and_multipart(port: int, folder: Path) -> None:
    with connect(port) as sock:
        sock.sendall(head(f"/stream/digest/?dir={folder}", chunked=True) + chunk(DATA[:BLOCK]))
        wait_for(folder / "first")
        sock.sendall(chunk(DATA[BLOCK:]) + b"0\r\n\r\n")
        status, _, body, _ = read_reply(sock)
    assert status == 200 and as_json(body)["sha256"] == digest(DATA), body
    form = multipart("QQ", [({"Content-Disposition": 'form-data; name="n"'}, b"v"),
                            ({"Content-Disposition": 'form-data; name="f"; filename="d.bin"',
                              "Content-Type": "image/png"}, DATA)])
    with connect(port) as sock:
        sock.sendall(head("/stream/parts/", length=len(form),
                          content_type="multipart/form-data; boundary=QQ") + form)
        status, _, body, _ = read_reply(sock)
    assert status == 200, body
    assert [(p["name"], p.get("sha256"), p.get("text")) for p in as_json(body)["parts"]] == [
        ("n", None, "v"), ("f", digest(DATA), None)]


CHECKS: list[Callable[[int, Path], None]] = [streams_while_sending, chunked_and_multipart]


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("worker", ["async_handler.worker.AiohttpWorker", "sync"])
def test_gunicorn(worker: str, check: Callable[[int, Path], None], tmp_path: Path) -> None:
    """Our worker, and gunicorn's sync worker, where the view reads wsgi.input in blocks."""
    with Gunicorn(worker=worker) as g:
        g.wait_ready()
        check(g.port, tmp_path)


@pytest.mark.parametrize("check", CHECKS)
def test_uvicorn(check: Callable[[int, Path], None], tmp_path: Path) -> None:
    with ASGIServer("uvicorn") as server:
        server.wait_ready()
        check(server.port, tmp_path)


def test_uvicorn_413_and_disconnect(tmp_path: Path) -> None:
    """Past MAX_BODY_SIZE (1 MB in tests.asgi_settings) the view sees BodyTooLarge and the
    client gets 413; a client leaving mid-upload cancels the view."""
    with ASGIServer("uvicorn", env={"DJANGO_SETTINGS_MODULE": "tests.asgi_settings"}) as server:
        server.wait_ready()
        over, left = tmp_path / "over", tmp_path / "left"
        over.mkdir()
        left.mkdir()
        with connect(server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={over}", chunked=True))
            try:
                for _ in range(40):
                    sock.sendall(chunk(b"x" * 65536))
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert read_reply(sock)[0] == 413
        assert (over / "cleanup").read_text() == "BodyTooLarge"
        with connect(server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={left}", length=900_000) + b"y" * 1000)
            wait_for(left / "first")
        assert wait_for(left / "cleanup") == "CancelledError"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def wsgiref_port() -> Iterator[int]:
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIServer

    class Threading(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = make_server("127.0.0.1", 0, application, server_class=Threading,
                         handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def test_wsgiref(wsgiref_port: int, tmp_path: Path) -> None:
    """wsgiref has no chunked request bodies; a declared length streams in blocks."""
    streams_while_sending(wsgiref_port, tmp_path)


def test_runserver(tmp_path: Path) -> None:
    from tests.aiohttp.test_runserver import runserver

    with runserver("127.0.0.1:0", "--noreload") as (url, _, _log):
        port = int(url.rsplit(":", 1)[1])
        streams_while_sending(port, tmp_path)
