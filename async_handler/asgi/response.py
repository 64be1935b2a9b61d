"""The ASGI end of a response: a ResponseSink that sends `http.response.*` messages.

Files go by the `http.response.zerocopysend` extension where the server
offers it. A send that fails because the client went away is reported as
ConnectionError, which the core takes as a departed client.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from ..core.exchange import Headers

Send = Callable[[dict[str, Any]], Awaitable[None]]


def _encode(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(name.encode("ascii"), value.encode("latin-1")) for name, value in headers]


class ASGISink:
    """Writes the core's response as ASGI messages."""

    __slots__ = ("_send", "zerocopy", "status")

    def __init__(self, send: Send, zerocopy: bool) -> None:
        self._send = send
        self.zerocopy = zerocopy
        self.status: int | None = None

    async def _message(self, message: dict[str, Any]) -> None:
        try:
            await self._send(message)
        except OSError as exc:  # uvicorn's ClientDisconnected and the like
            raise ConnectionError(str(exc)) from exc

    async def send(self, status: int, reason: str, headers: Headers, body: bytes) -> None:
        await self.start(status, reason, headers)
        await self._message({"type": "http.response.body", "body": body})

    async def start(self, status: int, reason: str, headers: Headers) -> None:
        self.status = status
        await self._message({"type": "http.response.start", "status": status,
                             "headers": _encode(headers)})

    async def write(self, data: bytes) -> None:
        if data:
            await self._message({"type": "http.response.body", "body": data,
                                 "more_body": True})

    async def sendfile(self, file: Any, offset: int, count: int) -> bool:
        if not self.zerocopy:
            return False
        await self._message({"type": "http.response.zerocopysend", "file": file,
                             "offset": offset, "count": count, "more_body": True})
        return True

    async def end(self) -> None:
        await self._message({"type": "http.response.body", "body": b""})

    async def refuse(self, status: int, text: str) -> None:
        body = text.encode()
        await self.send(status, "", [("Content-Type", "text/plain; charset=utf-8"),
                                     ("Content-Length", str(len(body))),
                                     ("Connection", "close")], body)

    def close_after(self) -> None:
        """ASGI has no way to close after a response; the server decides."""
