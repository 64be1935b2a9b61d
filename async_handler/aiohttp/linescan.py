"""Request lines, field lines and trailers checked on the raw bytes, as gunicorn checks them.

aiohttp's parser (llhttp) measures a header field by its name plus its value,
leaving out the colon, the whitespace before the value and the CRLF, and a
request line by its target alone; it drops trailer fields unread. gunicorn's
sync worker measures the whole line (limit_request_line, and
limit_request_field_size with its CRLF) and refuses trailer fields that RFC
9110 6.5.1 forbids. LineScanner follows the request byte stream alongside
aiohttp: heads, Content-Length and chunked bodies, trailer sections. It
reports the first line gunicorn would refuse, and where to stop feeding
aiohttp so that the refused request never completes.

It only refuses what it has read for sure: on bytes it does not follow
(which llhttp refuses anyway) or a protocol switch, it stops scanning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# RFC 9110 6.5.1: fields that framing, routing, authentication, request
# modifiers or content handling need before the content. gunicorn refuses the
# first six; the others are refused too, as a proxy would have acted on them.
FORBIDDEN_TRAILERS = frozenset({
    b"HOST", b"CONTENT-LENGTH", b"TRANSFER-ENCODING", b"TRAILER", b"AUTHORIZATION", b"TE",
    b"PROXY-AUTHORIZATION", b"CONNECTION", b"KEEP-ALIVE", b"UPGRADE", b"PROXY-CONNECTION",
    b"CONTENT-TYPE", b"CONTENT-ENCODING", b"CONTENT-RANGE", b"EXPECT", b"MAX-FORWARDS",
    b"RANGE", b"COOKIE", b"FORWARDED", b"X-FORWARDED-FOR", b"X-FORWARDED-HOST",
    b"X-FORWARDED-PROTO",
})
_HEX = frozenset(b"0123456789abcdefABCDEF")
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_KEEP = 1024  # bytes of a line kept: enough for a method, a field name, a framing value

# States of the stream.
REQUEST_LINE, FIELD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER, OFF = range(8)


@dataclass(frozen=True)
class Refusal:
    """A line gunicorn would refuse: feed aiohttp only `offset` bytes of the data."""

    offset: int
    status: int
    reason: str
    message: str  # gunicorn's wording, for the log line
    in_trailer: bool  # the request's head was parsed already; fail its body
    page: str | None = None  # gunicorn's wording on its error page, if not `message`


def _version_refusal(version: bytes, offset: int) -> Refusal | None:
    """HTTP/1.0 and 1.1 only (gunicorn serves up to 1.9), refused in gunicorn's words."""
    match = _VERSION.fullmatch(version)
    if match is not None and match[1] == b"1" and match[2] in (b"0", b"1"):
        return None
    shown = (repr(version.decode("latin-1")) if match is None
             else repr((int(match[1]), int(match[2]))))
    text = f"Invalid HTTP Version: {shown}"
    return Refusal(offset, 400, "Bad Request", text, False, f"Invalid HTTP Version '{text}'")


class LineScanner:
    """Follows one connection's request bytes; feed() each piece before aiohttp parses it."""

    def __init__(self, line_limit: int, field_limit: int) -> None:
        self.line_limit = line_limit  # 0: no limit
        self.field_limit = field_limit
        self.state = REQUEST_LINE
        # A request line is kept whole, for its version: it is at most the limit
        # (aiohttp's own, 1 MiB, when gunicorn's is 0), with its CR.
        self._request_line_keep = (line_limit or 1024 * 1024) + 1
        self._line = bytearray()  # the current line, kept up to a limit
        self._length = 0  # its length so far, without the LF
        self._last_cr = False  # its last byte so far is a CR
        self._remaining = 0  # body or chunk bytes still to skip
        self._method = b""
        self._lengths: list[bytes] = []
        self._codings: list[bytes] = []
        self._upgrade = False

    @property
    def in_request_line(self) -> bool:
        return self.state == REQUEST_LINE

    def feed(self, data: bytes) -> Refusal | None:
        i, n = 0, len(data)
        while i < n and self.state != OFF:
            if self.state in (BODY, CHUNK_DATA):
                take = min(self._remaining, n - i)
                i += take
                self._remaining -= take
                if not self._remaining:
                    self.state = REQUEST_LINE if self.state == BODY else CHUNK_END
                continue
            lf = data.find(b"\n", i)
            end = n if lf < 0 else lf
            # Where the line began in this data: aiohttp is fed nothing of a refused
            # line, so that its own error for it cannot come first.
            start = i if not self._length else 0
            if end > i:
                self._length += end - i
                self._last_cr = data[end - 1] == 13
                keep = self._request_line_keep if self.state == REQUEST_LINE else _KEEP
                if len(self._line) < keep:
                    self._line += data[i:min(end, i + keep - len(self._line))]
            refusal = self._over_limit(self._length - self._last_cr, start)
            if refusal is None and lf >= 0:
                i = lf + 1
                whole = len(self._line) == self._length
                line = bytes(self._line[:-1] if whole and self._last_cr else self._line)
                self._line.clear()
                self._length, self._last_cr = 0, False
                refusal = self._end_of_line(line, start, whole)
            if refusal is not None:
                self.state = OFF
                return refusal
            if lf < 0:
                return None
        return None

    def _over_limit(self, length: int, offset: int) -> Refusal | None:
        if self.state == REQUEST_LINE and length > self.line_limit > 0:
            return Refusal(offset, 414, "URI Too Long",
                           f"Request Line is too large ({length} > {self.line_limit})", False)
        if self.state in (FIELD, TRAILER) and length + 2 > self.field_limit > 0:
            return Refusal(offset, 431, "Request Header Fields Too Large",
                           "Error parsing headers: 'limit request headers fields size'",
                           self.state == TRAILER)
        return None

    def _end_of_line(self, line: bytes, offset: int, whole: bool) -> Refusal | None:
        state = self.state
        if state == REQUEST_LINE:
            if line:  # an empty line before the request line is skipped, as llhttp does
                parts = line.split(b" ", 2)
                if len(parts) != 3 or not parts[0] or not parts[1]:
                    # Split on single spaces, as gunicorn: no HTTP/0.9, no runs of spaces.
                    text = f"Invalid HTTP request line: {line.decode('latin-1')!r}"
                    return Refusal(offset, 400, "Bad Request", text, False,
                                   f"Invalid Request Line '{text}'")
                refusal = _version_refusal(parts[2], offset)
                if refusal is not None:
                    return refusal
                self._method, self._lengths, self._codings = parts[0], [], []
                self._upgrade = False
                self.state = FIELD
        elif state == FIELD:
            if line:
                self._field(line, whole)
            else:
                self._end_of_head()
        elif state == CHUNK_SIZE:
            size = line.split(b";", 1)[0]
            if not size or not _HEX.issuperset(size):
                self.state = OFF
            elif int(size, 16):
                self.state, self._remaining = CHUNK_DATA, int(size, 16)
            else:
                self.state = TRAILER
        elif state == CHUNK_END:
            self.state = OFF if line else CHUNK_SIZE
        elif state == TRAILER:
            if not line:
                self.state = REQUEST_LINE
                return None
            name = line.split(b":", 1)[0].upper()
            if name in FORBIDDEN_TRAILERS:
                text = name.decode("latin-1")
                return Refusal(offset, 400, "Bad Request",
                               f"Invalid HTTP header name: '{text}'", True)
        return None

    def _field(self, line: bytes, whole: bool) -> None:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip(b" \t"):
            self.state = OFF  # llhttp refuses it
            return
        name = name.lower()
        if not whole and name in (b"content-length", b"transfer-encoding"):
            self.state = OFF  # a framing value longer than kept: not followed
            return
        value = value.strip(b" \t")
        if name == b"content-length":
            self._lengths += [v.strip(b" \t") for v in value.split(b",")]
        elif name == b"transfer-encoding":
            self._codings += [v.strip(b" \t").lower() for v in value.split(b",")]
        elif name == b"upgrade":
            self._upgrade = True

    def _end_of_head(self) -> None:
        if self._upgrade or self._method == b"CONNECT":
            self.state = OFF  # what follows may not be HTTP/1.1 at all
        elif self._codings:
            self.state = CHUNK_SIZE if self._codings[-1] == b"chunked" else OFF
        elif self._lengths:
            if len(set(self._lengths)) != 1 or not self._lengths[0].isdigit():
                self.state = OFF
            else:
                self._remaining = int(self._lengths[0])
                self.state = BODY if self._remaining else REQUEST_LINE
        else:
            self.state = REQUEST_LINE
