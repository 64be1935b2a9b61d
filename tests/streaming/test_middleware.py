"""Middleware before a @stream_body view: reading the body makes the view replay it; a CSRF
header token keeps it streaming; reading it on the loop is a clear error."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.server import LiveServer
from tests.streaming.support import (
    CSRF_SECRET,
    as_json,
    connect,
    digest,
    head,
    multipart,
    pattern,
    read_reply,
    wait_for,
)

COOKIE = f"Cookie: csrftoken={CSRF_SECRET}\r\n"


def _post(port: int, path: str, body: bytes, content_type: str, extra: str = "",
          first: Path | None = None) -> tuple[int, bytes]:
    with connect(port) as sock:
        sock.sendall(head(path, length=len(body), content_type=content_type, extra=extra))
        sock.sendall(body[:100])
        if first is not None:
            wait_for(first)  # streaming: the view has begun before the rest is sent
        sock.sendall(body[100:])
        status, _, reply, _ = read_reply(sock)
        return status, reply


async def test_csrf_reading_the_form_token_replays_the_body(
        live_server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="async_handler")
    body = f"csrfmiddlewaretoken={CSRF_SECRET}&data=".encode() + b"y" * 200_000
    status, reply = await asyncio.to_thread(
        _post, live_server.port, "/stream/digest-csrf/", body,
        "application/x-www-form-urlencoded", COOKIE)
    assert status == 200, reply
    assert as_json(reply) == {"size": len(body), "sha256": digest(body), "replayed": True,
                              "content_length": len(body)}
    assert "django.middleware.csrf.CsrfViewMiddleware read the body of a @stream_body view" \
        in caplog.text


async def test_csrf_header_token_keeps_a_raw_body_streaming(
        live_server: LiveServer, tmp_path: Path) -> None:
    body = pattern(300_000)
    status, reply = await asyncio.to_thread(
        _post, live_server.port, f"/stream/digest-csrf/?dir={tmp_path}", body,
        "application/octet-stream", COOKIE + f"X-CSRFToken: {CSRF_SECRET}\r\n",
        tmp_path / "first")
    assert status == 200 and as_json(reply)["replayed"] is False


async def test_csrf_header_token_keeps_a_multipart_post_streaming(
        live_server: LiveServer, tmp_path: Path) -> None:
    """CsrfViewMiddleware reads request.POST before the header; with the header it is not."""
    body = multipart("BB", [({"Content-Disposition": 'form-data; name="f"; filename="a.bin"'},
                             pattern(300_000))])
    status, reply = await asyncio.to_thread(
        _post, live_server.port, f"/stream/digest-csrf/?dir={tmp_path}", body,
        "multipart/form-data; boundary=BB", COOKIE + f"X-CSRFToken: {CSRF_SECRET}\r\n",
        tmp_path / "first")
    assert status == 200, reply
    assert as_json(reply)["replayed"] is False


async def test_without_a_token_csrf_refuses(live_server: LiveServer) -> None:
    status, _ = await asyncio.to_thread(_post, live_server.port, "/stream/digest-csrf/",
                                        b"z" * 1000, "application/octet-stream")
    assert status == 403


async def test_a_bad_header_token_with_a_good_form_token_is_refused(
        live_server: LiveServer) -> None:
    """The header wins for a streaming view: the stricter of Django's two checks."""
    body = multipart("BB", [({"Content-Disposition": 'form-data; name="csrfmiddlewaretoken"'},
                             CSRF_SECRET.encode())])
    status, _ = await asyncio.to_thread(
        _post, live_server.port, "/stream/digest-csrf/", body, "multipart/form-data; boundary=BB",
        COOKIE + "X-CSRFToken: " + "t" * 32 + "\r\n")
    assert status == 403


async def test_reading_request_body_on_the_loop_is_a_clear_error(
        live_server: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    status, reply = await asyncio.to_thread(_post, live_server.port, "/stream/reads-body/",
                                            b"w" * 1000, "application/octet-stream")
    assert status == 500
    assert "Iterate the view's `body` argument instead" in caplog.text
