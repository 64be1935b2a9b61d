"""body.parts(): multipart parts with their headers, filename and type, each streamed; and
malformed bodies of every kind answered 400 with a log line, leaking nothing."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from async_handler import AsyncDjangoApplication
from tests.server import LiveServer
from tests.streaming.support import (
    as_json,
    chunk,
    connect,
    digest,
    head,
    multipart,
    pattern,
    read_reply,
    spool_fds,
    until,
    wait_for,
)

FILE = pattern(700_000)


def _post(port: int, path: str, body: bytes, content_type: str,
          chunked_tail: bytes | None = None) -> tuple[int, bytes, bool]:
    with connect(port) as sock:
        if chunked_tail is None:
            sock.sendall(head(path, length=len(body), content_type=content_type) + body)
        else:
            sock.sendall(head(path, chunked=True, content_type=content_type) + chunked_tail)
        status, _, reply, closed = read_reply(sock)
        return status, reply, closed


async def test_parts_come_with_headers_filename_and_content_type(
        live_server: LiveServer) -> None:
    body = multipart("xyzzy", [
        ({"Content-Disposition": 'form-data; name="title"'}, "Grüße".encode()),
        ({"Content-Disposition": 'form-data; name="upload"; filename="data.bin"',
          "Content-Type": "application/x-test", "X-Note": "kept"}, FILE),
        ({"Content-Disposition": 'form-data; name="b64"; filename="b.txt"',
          "Content-Transfer-Encoding": "base64"}, base64.b64encode(b"decoded bytes")),
    ])
    status, reply, _ = await asyncio.to_thread(
        _post, live_server.port, "/stream/parts/", body, "multipart/form-data; boundary=xyzzy")
    assert status == 200, reply
    assert as_json(reply)["parts"] == [
        {"name": "title", "filename": None, "content_type": "text/plain", "x_note": None,
         "text": "Grüße"},
        {"name": "upload", "filename": "data.bin", "content_type": "application/x-test",
         "x_note": "kept", "size": len(FILE), "sha256": digest(FILE)},
        {"name": "b64", "filename": "b.txt", "content_type": "text/plain", "x_note": None,
         "size": 13, "sha256": digest(b"decoded bytes")},
    ]


GOOD = multipart("BB", [({"Content-Disposition": 'form-data; name="f"; filename="x"'}, FILE)])
MALFORMED = {
    "boundary-mismatch": (GOOD.replace(b"--BB", b"--CC"), "multipart/form-data; boundary=BB"),
    "no-boundary-parameter": (GOOD, "multipart/form-data"),
    "missing-part-headers": (b"--BB\r\n\r\nbare data\r\n--BB--\r\n",
                             "multipart/form-data; boundary=BB"),
    "truncated-part": (GOOD[:len(GOOD) // 2], "multipart/form-data; boundary=BB"),
    "no-closing-boundary": (GOOD[:-8], "multipart/form-data; boundary=BB"),
    "not-multipart": (b"plain", "text/plain"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
async def test_malformed_multipart_is_400(live_server: LiveServer, app: AsyncDjangoApplication,
                                          name: str, caplog: pytest.LogCaptureFixture,
                                          tmp_path: Path) -> None:
    body, content_type = MALFORMED[name]
    baseline = len(asyncio.all_tasks())
    # A truncated body arrives whole: its Content-Length is what was sent.
    status, reply, _ = await asyncio.to_thread(
        _post, live_server.port, f"/stream/parts/?dir={tmp_path}", body, content_type)
    assert status == 400, reply
    assert (tmp_path / "cleanup").read_text() == "MalformedBody"
    assert "Request body for /stream/parts/" in caplog.text and ": 400" in caplog.text
    await until(lambda: len(asyncio.all_tasks()) <= baseline)
    assert spool_fds() == []
    assert app.pool is not None and app.pool.busy == 0


async def test_invalid_chunked_framing_mid_stream(live_server: LiveServer, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """A chunk size that is not hex after good chunks the view has read: 400 or a closed
    connection, a log line, and the view sees it."""

    def client() -> tuple[int, bool]:
        with connect(live_server.port) as sock:
            sock.sendall(head(f"/stream/digest/?dir={tmp_path}", chunked=True) + chunk(b"abcd"))
            wait_for(tmp_path / "first")
            sock.sendall(b"zz\r\nnot a chunk\r\n")
            try:
                status, _, _, closed = read_reply(sock)
            except ConnectionError:
                return 0, True
            return status, closed

    status, closed = await asyncio.to_thread(client)
    assert status in (0, 400) and closed
    await until(lambda: (tmp_path / "cleanup").exists())
    assert "Invalid character in chunk size" in caplog.text
