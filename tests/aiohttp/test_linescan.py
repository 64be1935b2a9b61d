"""LineScanner on its own: gunicorn's line measures, framing followed, trailers refused.

The same bytes against real servers are in tests/test_hardening_parity.py.
"""

from __future__ import annotations

import pytest

from async_handler.aiohttp.linescan import OFF, LineScanner, Refusal

HEAD = b"GET / HTTP/1.1\r\nHost: t\r\n"


def field(total: int, ows: bytes = b" ") -> bytes:
    """A field line of `total` bytes, its CRLF included, as gunicorn counts them."""
    return b"X-Pad:" + ows + b"a" * (total - 6 - len(ows) - 2) + b"\r\n"


def scan(data: bytes, line_limit: int = 4094, field_limit: int = 8190,
         piece: int = 0) -> Refusal | None:
    """Feed `data` whole, or `piece` bytes at a time; the first refusal, if any."""
    scanner = LineScanner(line_limit, field_limit)
    if not piece:
        return scanner.feed(data)
    for at in range(0, len(data), piece):
        refusal = scanner.feed(data[at:at + piece])
        if refusal is not None:
            return refusal
    return None


@pytest.mark.parametrize("piece", [0, 1, 7, 4096])
def test_field_line_measured_whole_with_its_crlf(piece: int) -> None:
    assert scan(HEAD + field(8190) + b"\r\n", piece=piece) is None
    refusal = scan(HEAD + field(8191) + b"\r\n", piece=piece)
    assert refusal is not None and refusal.status == 431 and not refusal.in_trailer
    # whitespace on either side of the value counts, as the colon does
    assert scan(HEAD + field(8190, b" \t") + b"\r\n", piece=piece) is None
    assert scan(HEAD + field(8191, b" \t") + b"\r\n", piece=piece) is not None
    assert scan(HEAD + field(8191)[:-2] + b"\r\n\r\n", piece=piece) is not None


def test_request_line_measured_whole() -> None:
    line = b"GET /" + b"p" * (4094 - 14) + b" HTTP/1.1"
    assert len(line) == 4094
    assert scan(line + b"\r\nHost: t\r\n\r\n") is None
    refusal = scan(line.replace(b"/", b"/p", 1) + b"\r\nHost: t\r\n\r\n")
    assert refusal is not None and refusal.status == 414
    assert refusal.message == "Request Line is too large (4095 > 4094)"
    assert scan(line + b"p" * 10, line_limit=0) is None  # 0: no limit, as gunicorn


def test_limits_equal_still_tell_a_field_from_the_request_line() -> None:
    refusal = scan(HEAD + field(300) + b"\r\n", line_limit=200, field_limit=200)
    assert refusal is not None and refusal.status == 431
    refusal = scan(b"GET /" + b"p" * 300 + b" HTTP/1.1\r\n", line_limit=200, field_limit=200)
    assert refusal is not None and refusal.status == 414


@pytest.mark.parametrize("version, shown", [
    (b"HTTP/2.0", "(2, 0)"), (b"HTTP/1.2", "(1, 2)"), (b"HTTP/0.9", "(0, 9)"),
    (b"HTTP/1.x", "'HTTP/1.x'"), (b"http/1.1", "'http/1.1'"),
])
def test_versions_other_than_1_0_and_1_1_are_refused(version: bytes, shown: str) -> None:
    refusal = scan(b"GET / " + version + b"\r\nHost: t\r\n\r\n")
    assert refusal is not None and refusal.status == 400
    assert refusal.message == f"Invalid HTTP Version: {shown}"
    assert refusal.offset == 0, "aiohttp is fed nothing of the refused line"


def test_request_line_must_have_three_parts_split_by_single_spaces() -> None:
    for line in (b"GET  / HTTP/1.1", b"GET /", b" / HTTP/1.1"):
        refusal = scan(line + b"\r\nHost: t\r\n\r\n")
        assert refusal is not None and refusal.status == 400, line


def chunked(trailer: bytes, data: bytes = b"hello") -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n" % len(data) + data + b"\r\n0\r\n" + trailer + b"\r\n")


@pytest.mark.parametrize("name", [b"Host", b"authorization", b"Content-Length",
                                  b"Transfer-Encoding", b"Trailer", b"TE", b"Cookie"])
def test_forbidden_trailer_fields_are_refused(name: bytes) -> None:
    body = chunked(b"X-Ok: 1\r\n" + name + b": x\r\n")
    refusal = scan(body)
    assert refusal is not None and refusal.status == 400 and refusal.in_trailer
    assert refusal.message == f"Invalid HTTP header name: '{name.decode().upper()}'"
    # aiohttp gets the bytes up to that trailer line, never the end of the message
    assert body[:refusal.offset].endswith(b"X-Ok: 1\r\n")


def test_ordinary_trailers_and_chunk_data_that_looks_like_fields_pass() -> None:
    assert scan(chunked(b"X-Checksum: 1\r\n", b"\r\nHost: evil\r\n" + b"a" * 9000)) is None
    refusal = scan(chunked(field(8191)))
    assert refusal is not None and refusal.status == 431 and refusal.in_trailer


def test_bodies_are_skipped_and_the_next_head_is_measured() -> None:
    body = b"\r\n" + b"b" * 9000 + b"\r\n"
    first = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    for piece in (0, 1, 1000):
        assert scan(first + HEAD + b"\r\n", piece=piece) is None
        refusal = scan(first + HEAD + field(8191) + b"\r\n", piece=piece)
        assert refusal is not None and refusal.status == 431


def test_stops_at_what_it_does_not_follow() -> None:
    for data in (b"GET / HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n\r\n",
                 b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
                 b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
                 b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost t\r\n"):
        scanner = LineScanner(4094, 8190)
        assert scanner.feed(data) is None
        assert scanner.state == OFF
        assert scanner.feed(field(9000)) is None
