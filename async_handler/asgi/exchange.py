"""One ASGI `http` scope described to the core: META, body chunks, and disconnects.

Django's own ASGIRequest builds request.META from the scope (root_path as
SCRIPT_NAME included), so META is exactly what Django's ASGIHandler gives.
The body is read from `receive` as it streams; once it is whole, a listener
waits for `http.disconnect` and cancels the request's task, view included.
"""

from __future__ import annotations

import asyncio
from typing import IO, Any, AsyncIterator, Awaitable, Callable, Mapping
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.urls import set_script_prefix

try:
    from django.core.handlers.asgi import get_script_prefix
except ImportError:  # Django 4.2: a method of ASGIHandler, with the same rule

    def get_script_prefix(scope: Mapping[str, Any]) -> str:
        return str(settings.FORCE_SCRIPT_NAME or scope.get("root_path", "") or "")


from ..core.exchange import BadRequest, Exchange
from .response import ASGISink
from .tasks import cancel_and_wait

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class ClientGone(ConnectionError):
    """The client disconnected before its request body was whole."""


def check_path(scope: dict[str, Any]) -> None:
    """BadRequest unless the path is UTF-8 once percent-decoded (RFC 3986 3.3, Django's URLs)."""
    raw = scope.get("raw_path")
    try:
        if raw:
            unquote_to_bytes(bytes(raw).split(b"?", 1)[0]).decode("utf-8")
        scope["path"].encode("utf-8")
    except UnicodeError:
        raise BadRequest("Request path is not UTF-8") from None


def _may_have_body(scope: dict[str, Any]) -> bool:
    """Whether a request without Content-Length may still carry a body.

    Only an HTTP/1.x GET or HEAD without Transfer-Encoding is sure to have none
    (RFC 9112 6.3); other methods are read, in case a server or test client
    passes a body without saying so.
    """
    if scope.get("method") not in ("GET", "HEAD"):
        return True
    if not str(scope.get("http_version", "1.1")).startswith("1"):
        return True
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers", ()))


def body_meta(scope: dict[str, Any]) -> dict[str, str]:
    """CONTENT_LENGTH and CONTENT_TYPE as ASGIRequest will put them in META."""
    found: dict[str, list[str]] = {}
    for name, value in scope.get("headers", ()):
        if name in (b"content-length", b"content-type"):
            key = "CONTENT_LENGTH" if name == b"content-length" else "CONTENT_TYPE"
            found.setdefault(key, []).append(value.decode("latin-1"))
    return {key: ",".join(values) for key, values in found.items()}


class Receiver:
    """The body from `receive`, then a watch for the client going away."""

    __slots__ = ("receive", "task", "listener", "starting", "gone", "done")

    def __init__(self, receive: Receive, task: asyncio.Task[Any]) -> None:
        self.receive = receive
        self.task = task
        self.listener: asyncio.Task[None] | None = None
        self.starting: asyncio.Handle | None = None
        self.gone = False
        #: Set once the request is served: a disconnect then cancels nothing.
        self.done = False

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                raise ClientGone("client disconnected during the request body")
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                break
        self.watch()

    def watch(self) -> None:
        """Listen for `http.disconnect` from the loop's next turn on.

        A task's first step runs on the loop's next turn too, so this is when
        an ensure_future'd listener would start; but a request served without
        giving the loop a turn (a hello view) ends before then, and makes no
        task at all: 4,713 against 4,2xx req/s on uvicorn (bench/results/ASGI.md).
        """
        self.starting = asyncio.get_running_loop().call_soon(self._start)

    def _start(self) -> None:
        self.starting = None
        if not self.done:
            self.listener = asyncio.ensure_future(self._listen())

    async def _listen(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.gone = True
        if not self.done:
            self.task.cancel()

    async def stop(self) -> None:
        """Stop listening; call it as soon as the request is served, before awaiting anything."""
        self.done = True
        if self.starting is not None:
            self.starting.cancel()
            self.starting = None
        listener, self.listener = self.listener, None
        if listener is not None and not listener.done():
            await cancel_and_wait(listener)


def build_exchange(scope: dict[str, Any], receiver: Receiver, send: Send) -> Exchange:
    """The Exchange for one `http` scope; the request is Django's ASGIRequest."""
    zerocopy = "http.response.zerocopysend" in (scope.get("extensions") or {})

    def make_request(stream: IO[bytes], size: int) -> ASGIRequest:
        set_script_prefix(get_script_prefix(scope))
        return ASGIRequest(scope, stream)

    def route() -> tuple[str, str]:
        prefix = get_script_prefix(scope)
        path = scope["path"]
        return (path.removeprefix(prefix) if prefix else path), scope.get("method", "")

    client = scope.get("client")
    meta = body_meta(scope)
    body: AsyncIterator[bytes] | None = receiver.chunks()
    if "CONTENT_LENGTH" not in meta and not _may_have_body(scope):
        # The listener reads the empty `http.request` message itself.
        body = None
        receiver.watch()
    return Exchange(meta, body, make_request, ASGISink(send, zerocopy),
                    remote=str(client[0]) if client else "",
                    started_kwargs={"scope": scope}, head=scope.get("method") == "HEAD",
                    route=route)
