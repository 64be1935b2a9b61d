"""The same bytes to gunicorn's sync worker and to ours: the malformed corpus and the limits.

Our worker refuses at least what gunicorn's sync worker refuses, with the same
status, and answers with gunicorn's error page: `HTTP/1.1` whatever the
request said, the same three headers, the same HTML. Where we word the fault
as gunicorn does the page is byte for byte the same; elsewhere only the line
naming the fault differs. The reference runs tests/hardening_wsgi.py, which
reads the whole body, so that gunicorn parses trailers too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hardening_support import MALFORMED, cases, exchange, hardening_gunicorn, status_of
from tests.server import Gunicorn

REFERENCE_APP = "tests.hardening_wsgi:application"

# Refused here, not by gunicorn.
STRICTER = {
    "version-http12": "gunicorn serves HTTP/1.2 to 1.9",
    "chunk-size-overflow": "gunicorn waits for a chunk of 2**64 bytes",
    "cl-overflow": "gunicorn waits for a body of 2**64 bytes",
}
# Both refuse, with different statuses: (gunicorn's, ours).
OTHER_STATUS = {"te-xchunked": (501, 400)}
# Cases whose fault we word as gunicorn does: the whole reply is the same bytes.
SAME_BYTES = {
    "version-garbage", "version-lowercase", "version-two-digits", "version-missing",
    "version-http2", "version-http3", "version-http09", "bare-cr-request-line",
    "request-line-extra-space", "tls-hello", "request-line-too-long",
    "request-line-whole-too-long", "header-too-long", "too-many-headers",
    "field-line-over-by-one", "field-line-no-space-over-by-one", "field-line-wide-ows",
    "field-line-trailing-ows", "trailer-content-length", "trailer-transfer-encoding",
    "trailer-host", "trailer-authorization", "trailer-trailer", "trailer-te",
    "trailer-host-lowercase", "trailer-field-too-long",
}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Gunicorn, Gunicorn]]:
    with (Gunicorn(worker="sync", app=REFERENCE_APP) as reference,
          hardening_gunicorn() as ours):
        reference.wait_ready()
        ours.wait_ready()
        yield reference, ours


def without_fault_line(reply: bytes) -> bytes:
    """The reply with its Content-Length and the error page's line naming the fault blanked."""
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = body.split(b"\n")
    assert len(lines) == 10 and lines[5] == b"    <h1><p>" + lines[2][11:-8] + b"</p></h1>", body
    lines[6] = b""
    head = b"\r\n".join(h for h in head.split(b"\r\n") if not h.startswith(b"Content-Length:"))
    return head + b"\r\n\r\n" + b"\n".join(lines)


@pytest.mark.parametrize("name, expected", [c[:2] for c in cases()], ids=[c[0] for c in cases()])
def test_corpus_against_gunicorn_sync_worker(pair: tuple[Gunicorn, Gunicorn], name: str,
                                             expected: str) -> None:
    reference, ours = pair
    data = (MALFORMED / f"{name}.http").read_bytes()
    theirs, _ = exchange(reference.port, data, timeout=2)
    mine, closed = exchange(ours.port, data)
    status, their_status = status_of(mine), status_of(theirs)
    if name in STRICTER:
        assert their_status is None or their_status < 400, "no longer stricter than gunicorn"
        assert status is not None and 400 <= status < 500 and closed, mine[:200]
        return
    assert (their_status, status) == OTHER_STATUS.get(name, (their_status, their_status)), (
        theirs[:300], mine[:300])
    if status is None or status < 400 or name in OTHER_STATUS:
        return
    if name in SAME_BYTES:
        assert mine == theirs
    else:
        assert without_fault_line(mine) == without_fault_line(theirs)


def request_line(length: int) -> bytes:
    """A request line of `length` bytes without its CRLF, and a Host field."""
    start, version = b"GET /h/echo/?i=", b" HTTP/1.1"
    return start + b"p" * (length - len(start) - len(version)) + version + b"\r\nHost: t\r\n"


def field_line(length: int) -> bytes:
    return b"X-Pad: " + b"a" * (length - 9) + b"\r\n"


@pytest.mark.parametrize("line, field", [(200, 200), (100, 300), (300, 100), (8190, 8190)])
def test_414_for_the_request_line_and_431_for_a_field_whatever_the_limits(
        line: int, field: int) -> None:
    """Each request one byte within or one byte past a limit, lines measured as gunicorn
    measures them (a field line with its CRLF, a request line without)."""
    args = ("--limit-request-line", str(line), "--limit-request-field_size", str(field))
    requests = {
        request_line(line) + b"\r\n": 200,
        request_line(line + 1) + b"\r\n": 414,
        request_line(50) + field_line(field) + b"\r\n": 200,
        request_line(50) + field_line(field + 1) + b"\r\n": 431,
    }
    with (Gunicorn(*args, worker="sync", app=REFERENCE_APP) as reference,
          hardening_gunicorn(*args) as ours):
        reference.wait_ready()
        ours.wait_ready()
        for data, status in requests.items():
            theirs, _ = exchange(reference.port, data)
            mine, _ = exchange(ours.port, data)
            assert status_of(theirs) == status_of(mine) == status, (theirs[:200], mine[:200])
            if status != 200:
                assert mine == theirs
