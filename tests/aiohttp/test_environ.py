"""Request fidelity: META, paths, cookies and bodies as Django sees them under WSGI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import Gunicorn, raw_request
from tests.worker_support import get, poll

# Keys that differ between two servers for reasons unrelated to fidelity.
_VOLATILE = {"REMOTE_PORT", "SERVER_PORT", "HTTP_HOST", "host"}


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Gunicorn, Gunicorn]]:
    """gunicorn's own sync worker (the WSGI reference) and ours, same app, same env."""
    env = {"SCRIPT_NAME": "/prefix"}
    with Gunicorn(worker="sync", env=env) as reference, Gunicorn(env=env) as ours:
        reference.wait_ready("/prefix/sync/")
        ours.wait_ready("/prefix/sync/")
        yield reference, ours


def _meta(port: int, request: bytes) -> dict[str, Any]:
    reply = raw_request(port, request)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), reply[:300]
    data = json.loads(body)
    for section in (data, data["meta"], data["http"]):
        for key in _VOLATILE:
            section.pop(key, None)
    return data


REQUESTS = {
    "plain": b"GET /prefix/meta/?a=1&a=2&b=%C3%A9 HTTP/1.1\r\nHost: example.com\r\n",
    "duplicates-and-underscores": (
        b"GET /prefix/meta/ HTTP/1.1\r\nHost: t\r\nX-Multi: one\r\nX-Multi: two\r\n"
        b"X_Forwarded_For: 6.6.6.6\r\nX-Forwarded-For: 1.2.3.4\r\n"),
    "content-headers": (
        b"GET /prefix/meta/ HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: 0\r\n"),
    "non-ascii-path": b"GET /prefix/m%C3%A9ta/%C3%BC/?q=%E2%9C%93 HTTP/1.1\r\nHost: t\r\n",
    "cookies": b"GET /prefix/meta/ HTTP/1.1\r\nHost: t\r\nCookie: a=1; b=two%20words\r\n",
    "forwarded-proto": (
        b"GET /prefix/meta/ HTTP/1.1\r\nHost: t\r\nX-Forwarded-Proto: https\r\n"),
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_meta_matches_gunicorn_sync_worker(servers: tuple[Gunicorn, Gunicorn], name: str) -> None:
    reference, ours = servers
    request = REQUESTS[name] + b"Connection: close\r\n\r\n"
    expected = _meta(reference.port, request)
    got = _meta(ours.port, request)
    assert got == expected


def test_meta_values(servers: tuple[Gunicorn, Gunicorn]) -> None:
    """Spot checks that the shared expectations are the right ones."""
    _, ours = servers
    data = _meta(ours.port, REQUESTS["duplicates-and-underscores"] + b"Connection: close\r\n\r\n")
    assert data["http"]["HTTP_X_MULTI"] == "one,two"
    assert data["http"]["HTTP_X_FORWARDED_FOR"] == "1.2.3.4"
    assert data["meta"]["REMOTE_ADDR"] == "127.0.0.1"
    assert data["meta"]["SCRIPT_NAME"] == "/prefix" and data["path_info"] == "/meta/"
    data = _meta(ours.port, REQUESTS["non-ascii-path"] + b"Connection: close\r\n\r\n")
    assert data["path"] == "/prefix/méta/ü/" and data["get"] == {"q": ["✓"]}
    data = _meta(ours.port, REQUESTS["forwarded-proto"] + b"Connection: close\r\n\r\n")
    assert data["scheme"] == "https" and data["secure"] is True
    data = _meta(ours.port, REQUESTS["cookies"] + b"Connection: close\r\n\r\n")
    assert data["cookies"] == {"a": "1", "b": "two%20words"}


def test_scheme_header_from_untrusted_peer_is_ignored() -> None:
    with Gunicorn("--forwarded-allow-ips", "10.9.9.9") as server:
        server.wait_ready()
        data = _meta(server.port, REQUESTS["forwarded-proto"].replace(b"/prefix", b"")
                     + b"Connection: close\r\n\r\n")
    assert data["scheme"] == "http"


HEADER_POLICY_CASES = {
    "dangerous-underscores": (("--header-map", "dangerous"), (
        b"GET /meta/ HTTP/1.1\r\nHost: t\r\nX-Custom: dash\r\nX_Custom: under\r\n")),
    "refuse-underscores": (("--header-map", "refuse"), (
        b"GET /meta/ HTTP/1.1\r\nHost: t\r\nX_Custom: under\r\n")),
    "forwarded-script-name": ((), (
        b"GET /app/meta/ HTTP/1.1\r\nHost: t\r\nSCRIPT_NAME: /app\r\n")),
    "untrusted-script-name": (("--forwarded-allow-ips", "10.9.9.9"), (
        b"GET /meta/ HTTP/1.1\r\nHost: t\r\nSCRIPT_NAME: /app\r\n")),
}


@pytest.mark.parametrize("name", sorted(HEADER_POLICY_CASES))
def test_header_map_and_forwarder_headers_match_gunicorn(name: str) -> None:
    args, request = HEADER_POLICY_CASES[name]
    request += b"Connection: close\r\n\r\n"
    with Gunicorn(*args, worker="sync") as reference, Gunicorn(*args) as ours:
        reference.wait_ready()
        ours.wait_ready()
        if name.startswith("refuse"):
            for server in (reference, ours):
                assert raw_request(server.port, request).startswith(b"HTTP/1.1 400 ")
            poll(lambda: "underscore" in ours.output(), 5, "the refusal logged")
        else:
            assert _meta(ours.port, request) == _meta(reference.port, request)


def test_expect_100_continue(servers: tuple[Gunicorn, Gunicorn]) -> None:
    _, ours = servers
    import socket

    with socket.create_connection(("127.0.0.1", ours.port), timeout=5) as sock:
        sock.sendall(b"POST /prefix/body/ HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                     b"Content-Type: text/plain\r\nExpect: 100-continue\r\n\r\n")
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        reply = sock.recv(65536)
    assert b" 200 " in reply.split(b"\r\n", 1)[0] and b'"length": 5' in reply


@pytest.fixture(scope="module")
def hardening_pair() -> Iterator[tuple[Gunicorn, Gunicorn]]:
    """gunicorn's sync worker and ours on the hardening views."""
    env = {"DJANGO_SETTINGS_MODULE": "tests.hardening_settings"}
    with Gunicorn(worker="sync", env=env) as reference, Gunicorn(env=env) as ours:
        reference.wait_ready("/h/echo/")
        ours.wait_ready("/h/echo/")
        yield reference, ours


def test_server_keys_match_gunicorn(hardening_pair: tuple[Gunicorn, Gunicorn]) -> None:
    """SERVER_SOFTWARE, wsgi.multiprocess (one worker), wsgi.file_wrapper, wsgi.early_hints."""
    reference, ours = hardening_pair
    expected = get(reference.port, "/h/environ/").json()
    assert expected["SERVER_SOFTWARE"].startswith("gunicorn/")
    assert expected["wsgi.multiprocess"] is False
    assert get(ours.port, "/h/environ/").json() == expected


def test_wsgi_errors_write_to_gunicorns_error_log(hardening_pair: tuple[Gunicorn, Gunicorn],
                                                  tmp_path: Path) -> None:
    """To stderr by default, as gunicorn's; to --error-logfile, where gunicorn 27's own
    wsgi.errors fails (a handler with no stream yet)."""
    for server in hardening_pair:
        get(server.port, "/h/environ/?m=to-the-error-log")
        poll(lambda g=server: "wsgi.errors says to-the-error-log" in g.output(), 5,
             "the line in gunicorn's output")
    log = tmp_path / "error.log"
    env = {"DJANGO_SETTINGS_MODULE": "tests.hardening_settings"}
    with Gunicorn("--error-logfile", str(log), env=env) as ours:
        ours.wait_ready("/h/echo/")
        assert get(ours.port, "/h/environ/?m=to-the-file").status == 200
        poll(lambda: "wsgi.errors says to-the-file" in log.read_text(), 5, "the line")


def test_wsgi_multiprocess_with_two_workers() -> None:
    env = {"DJANGO_SETTINGS_MODULE": "tests.hardening_settings"}
    with (Gunicorn("--workers", "2", worker="sync", env=env) as reference,
          Gunicorn("--workers", "2", env=env) as ours):
        for server in (reference, ours):
            server.wait_ready("/h/echo/")
            assert get(server.port, "/h/environ/").json()["wsgi.multiprocess"] is True


HINT = b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload; as=style\r\n\r\n"


@pytest.mark.parametrize("path, version, starts", [
    ("/h/hints-sync/", b"HTTP/1.1", HINT + b"HTTP/1.1 200 OK\r\n"),
    ("/h/hints/", b"HTTP/1.1", HINT + b"HTTP/1.1 103 Early Hints\r\n"
     b"Link: </a.js>; rel=preload; as=script\r\n\r\nHTTP/1.1 200 OK\r\n"),
    ("/h/hints-sync/", b"HTTP/1.0", b"HTTP/1.0 200 OK\r\n"),  # not for HTTP/1.0 clients
    ("/h/hints-bad/", b"HTTP/1.1", b"HTTP/1.1 200 OK\r\n"),
])
def test_early_hints_as_gunicorn_sends_them(hardening_pair: Any, path: str, version: bytes,
                                            starts: bytes) -> None:
    request = b"GET " + path.encode() + b" " + version + b"\r\nHost: t\r\nConnection: close\r\n\r\n"
    for server in hardening_pair:
        reply = raw_request(server.port, request)
        assert reply.startswith(starts), reply[:300]
        if path == "/h/hints-bad/":
            assert reply.endswith((b"refused ValueError", b"refused InvalidResponseHeader"))
