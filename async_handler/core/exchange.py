"""What the core needs from a front end to serve one request, with no transport in it.

A front end (the aiohttp worker, the ASGI application) turns its request into
an Exchange: the request's META-like dict, an async iterator over the body's
chunks, a way to build Django's request object once the body is read, and a
ResponseSink the response is written to. The core reads the body, runs
Django, and sends the response through the sink; it never sees a socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any, AsyncIterator, Callable, Protocol


class BadRequest(Exception):
    """The request cannot be served as sent; answer 400."""


class MalformedBody(BadRequest, ValueError):
    """The body is malformed: mis-framed, cut short, or not the multipart it claims to be."""


class BodyTooLarge(Exception):
    """The body passed a limit while streaming in."""

    def __init__(self, limit: int, django_limit: bool) -> None:
        super().__init__(f"request body exceeded {limit} bytes")
        self.limit = limit
        self.django_limit = django_limit


class BodyTimeout(Exception):
    """No body bytes arrived for `timeout` seconds; answer 408."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no request body bytes for {timeout} s")
        self.timeout = timeout


Headers = list[tuple[str, str]]


class ResponseSink(Protocol):
    """Where the core writes a response: a whole one, or a stream of chunks."""

    async def send(self, status: int, reason: str, headers: Headers, body: bytes) -> None:
        """Send a complete response."""

    async def start(self, status: int, reason: str, headers: Headers) -> None:
        """Send the status and headers of a streamed response."""

    async def write(self, data: bytes) -> None:
        """Send one chunk of a streamed body."""

    async def sendfile(self, file: Any, offset: int, count: int) -> bool:
        """Send `count` bytes of an OS file by zero-copy if the transport can; else False."""

    async def end(self) -> None:
        """Finish a streamed response."""

    async def refuse(self, status: int, text: str) -> None:
        """Send a short plain-text error response and close the connection after it."""

    def close_after(self) -> None:
        """Close the connection once the response is sent, where the transport allows."""


@dataclass(slots=True)
class Exchange:
    """One request as the core sees it (slotted: an open WebSocket holds it for its life)."""

    #: The WSGI-style META of the request (CONTENT_TYPE, CONTENT_LENGTH, ...).
    meta: dict[str, Any]
    #: The body's chunks; None when the request has no body at all.
    body: AsyncIterator[bytes] | None
    #: Builds Django's request once the body is read into a stream of `size` bytes.
    make_request: Callable[[IO[bytes], int], Any]
    sink: ResponseSink
    #: The peer, for log lines.
    remote: str = ""
    #: Keyword arguments request_started is sent with (environ= or scope=).
    started_kwargs: dict[str, Any] = field(default_factory=dict)
    #: True for HEAD and other responses whose body must not be sent.
    head: bool = False
    #: (path_info as Django's request will have it, method): asked only of a request with a
    #: body, to find whether its view is a @stream_body one; None: never streamed.
    route: Callable[[], tuple[str, str]] | None = None


@dataclass
class RequestOptions:
    """What the server knows that the request does not carry."""

    script_name: str = ""
    is_ssl: bool = False
    # Whether a peer address may set X-Forwarded-* style scheme headers.
    trust_forwarded: Callable[[str], bool] = lambda addr: addr in ("127.0.0.1", "::1")
    # Upper-cased header name -> value meaning https, as gunicorn's setting.
    secure_scheme_headers: dict[str, str] = field(default_factory=lambda: {
        "X-FORWARDED-PROTOCOL": "ssl", "X-FORWARDED-PROTO": "https", "X-FORWARDED-SSL": "on",
    })
    max_body_size: int | None = None
    # gunicorn's --header-map for names with underscores: "drop", "refuse" (400) or "dangerous".
    header_map: str = "drop"
    # Underscore headers a trusted peer may always set (gunicorn's --forwarder-headers);
    # a SCRIPT_NAME header then mounts the request under that prefix.
    forwarder_headers: frozenset[str] = frozenset({"SCRIPT_NAME", "PATH_INFO"})
    # Seconds the body may go without a byte before the request gets 408; None: no limit.
    body_timeout: float | None = None
    # wsgi.multiprocess: more than one worker process, as gunicorn's --workers > 1.
    multiprocess: bool = False
