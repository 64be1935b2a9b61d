"""End-to-end tests of sample_project's streaming upload page, served by a real gunicorn.

The ``base_url`` fixture of tests/test_sample_project.py serves the project for this module too.
A client that pauses mid-body tells a streamed body from one read whole before the view: the
view, which reports its own running time, spans the pause only if it started before the body
was all in.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests import test_sample_project as sample

# The sample project's server and client fixtures, serving this module too.
base_url = sample.base_url
client = sample.client

PAUSE = 1.0
TOKEN = re.compile(r'data-csrf-token="([^"]+)"')
BOUNDARY = "sample-upload-boundary-7f3a"


async def _token(client: aiohttp.ClientSession) -> str:
    """Open the upload page: its token, with the CSRF cookie now in the client's jar."""
    async with client.get("/upload/") as response:
        assert response.status == 200
        match = TOKEN.search(await response.text())
    assert match
    return match.group(1)


async def _paused(first: bytes, rest: bytes) -> AsyncIterator[bytes]:
    """The body in two pieces, PAUSE seconds apart (sent chunked)."""
    yield first
    await asyncio.sleep(PAUSE)
    yield rest


def _multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body of (name, filename or None, content) parts."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


async def test_index_links_the_upload_page(client: aiohttp.ClientSession) -> None:
    async with client.get("/") as response:
        assert 'href="/upload/"' in await response.text()
    async with client.get("/upload/") as response:
        html = await response.text()
    for marker in ('"/upload/raw/"', 'action="/upload/parts/"', "upload.onprogress",
                   '"X-CSRFToken"', 'data-max-body-size="1073741824"'):
        assert marker in html, marker
    assert any(cookie.key == "csrftoken" for cookie in client.cookie_jar)


async def test_raw_upload_is_hashed_as_it_streams(client: aiohttp.ClientSession) -> None:
    token = await _token(client)
    first, rest = b"a" * (256 * 1024), bytes(range(256)) * 8192
    async with client.post(
        "/upload/raw/", data=_paused(first, rest), headers={"X-CSRFToken": token}
    ) as response:
        assert response.status == 200, await response.text()
        answer = await response.json()
    assert answer["bytes"] == len(first) + len(rest)
    assert answer["sha256"] == hashlib.sha256(first + rest).hexdigest()
    assert answer["replayed"] is False
    # The view ran through the client's pause, its first chunk well before the end.
    assert answer["seconds"] >= PAUSE * 0.9, answer
    assert answer["first_chunk_ms"] < 1000 * (answer["seconds"] - PAUSE * 0.5), answer


async def test_raw_upload_with_a_content_length(client: aiohttp.ClientSession) -> None:
    token = await _token(client)
    body = hashlib.sha256(b"seed").digest() * (5 * 1024 * 1024 // 32)
    async with client.post(
        "/upload/raw/", data=io.BytesIO(body), headers={"X-CSRFToken": token}
    ) as response:
        assert response.status == 200
        answer = await response.json()
    assert (answer["bytes"], answer["content_length"]) == (len(body), len(body))
    assert answer["sha256"] == hashlib.sha256(body).hexdigest()


async def test_multipart_files_stream_with_a_header_token(client: aiohttp.ClientSession) -> None:
    """CsrfViewMiddleware checks the header token and leaves the multipart body to the view."""
    token = await _token(client)
    big = bytes(range(256)) * 4096
    body = _multipart(("note", None, "héllo".encode()), ("file", "a.bin", big),
                      ("file", "empty.txt", b""))
    cut = len(body) // 2
    async with client.post(
        "/upload/parts/", data=_paused(body[:cut], body[cut:]),
        headers={**MULTIPART, "X-CSRFToken": token},
    ) as response:
        assert response.status == 200, await response.text()
        answer = await response.json()
    assert answer["parts"] == [
        {"name": "note", "value": "héllo"},
        {"name": "file", "filename": "a.bin", "content_type": "application/octet-stream",
         "bytes": len(big), "sha256": hashlib.sha256(big).hexdigest()},
        {"name": "file", "filename": "empty.txt", "content_type": "application/octet-stream",
         "bytes": 0, "sha256": hashlib.sha256(b"").hexdigest()},
    ]
    assert answer["replayed"] is False and answer["bytes"] == len(body)
    assert answer["seconds"] >= PAUSE * 0.9, answer


async def test_token_in_a_form_field_is_read_whole_then_replayed(
    client: aiohttp.ClientSession,
) -> None:
    token = await _token(client)
    content = b"x" * 300_000
    body = _multipart(("csrfmiddlewaretoken", None, token.encode()), ("file", "x.bin", content))
    async with client.post("/upload/parts/", data=body, headers=MULTIPART) as response:
        assert response.status == 200, await response.text()
        answer = await response.json()
    assert answer["replayed"] is True
    assert answer["parts"][0]["value"].startswith("(the CSRF token")
    assert answer["parts"][1]["sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("path", ["/upload/raw/", "/upload/parts/"])
async def test_upload_without_a_token_is_refused(
    client: aiohttp.ClientSession, path: str
) -> None:
    await _token(client)
    async with client.post(path, data=_multipart(("note", None, b"hi")),
                           headers=MULTIPART) as response:
        assert response.status == 403


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        (_multipart(("note", None, b"n" * (64 * 1024 + 1))), 400, "is over 65536 bytes"),
        (b"--not-the-boundary\r\n\r\nstray bytes\r\n", 400, ""),
        (_multipart(("file", "cut.bin", b"y" * 5000))[:-60], 400, ""),
    ],
    ids=["field-too-long", "wrong-boundary", "truncated"],
)
async def test_bad_multipart_is_a_400(
    client: aiohttp.ClientSession, body: bytes, status: int, text: str
) -> None:
    token = await _token(client)
    async with client.post("/upload/parts/", data=body,
                           headers={**MULTIPART, "X-CSRFToken": token}) as response:
        assert response.status == status
        assert text in await response.text()
    async with client.get("/upload/") as response:  # the worker still serves
        assert response.status == 200


async def test_body_declared_over_the_limit_is_a_413(
    client: aiohttp.ClientSession, base_url: str
) -> None:
    token = await _token(client)
    cookie = next(c.value for c in client.cookie_jar if c.key == "csrftoken")
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            f"POST /upload/raw/ HTTP/1.1\r\nHost: {host}\r\nX-CSRFToken: {token}\r\n"
            f"Cookie: csrftoken={cookie}\r\nContent-Length: {2 * 1024**3}\r\n\r\n".encode()
        )
        status_line = await asyncio.wait_for(reader.readline(), 30)
    finally:
        writer.close()
        await writer.wait_closed()
    assert status_line.split()[1] == b"413", status_line
