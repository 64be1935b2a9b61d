"""Raw-socket clients for the streaming tests: bodies sent in steps, replies read to the end."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

CSRF_SECRET = "s" * 32  # a valid unmasked CSRF secret, sent as cookie and header or field


def head(path: str, *, length: int | None = None, chunked: bool = False,
         content_type: str = "application/octet-stream", extra: str = "") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: t", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def connect(port: int, timeout: float = 30.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_reply(sock: socket.socket) -> tuple[int, dict[str, str], bytes, bool]:
    """(status, headers, body, closed): one response, and whether the server closes after it.

    Closed is its `Connection: close`, or the connection ending: aiohttp first
    reads and drops what the client still sends for a while (lingering close).
    """
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        if not got:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += got
    top, _, rest = data.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(rest) < length:
        try:
            got = sock.recv(65536)
        except ConnectionResetError:
            got = b""
        if not got:
            return status, headers, rest, True
        rest += got
    closing = headers.get("connection", "").lower() == "close"
    return status, headers, rest[:length], closing or _closed(sock)


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def wait_for(path: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)
    return path.read_text()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def as_json(body: bytes) -> Any:
    return json.loads(body)


def pattern(size: int) -> bytes:
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


def spool_fds() -> list[str]:
    """This process's open files that are request-body spools (core/body.py's suffix)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if ".async_handler" in target:
            found.append(target)
    return found


def multipart(boundary: str, parts: list[tuple[dict[str, str], bytes]]) -> bytes:
    out = b""
    for headers, data in parts:
        out += f"--{boundary}\r\n".encode()
        out += "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n"
        out += data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


async def until(check: Any, timeout: float = 10.0) -> None:
    """Await `check()` becoming true, polling: the server ends its side of a connection after
    the client has its reply."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
