"""Helpers for the hardening tests and the soak: raw exchanges, marker files, /proc figures."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Iterator

from tests.server import Gunicorn
from tests.worker_support import get, poll

SETTINGS = "tests.hardening_settings"
MALFORMED = Path(__file__).resolve().parent / "malformed"


def hardening_gunicorn(*args: str, marker: Path | None = None,
                       env: dict[str, str] | None = None) -> Gunicorn:
    """gunicorn with the hardening views; `marker` collects one line per /h/record/ run."""
    full = {"DJANGO_SETTINGS_MODULE": SETTINGS}
    if marker is not None:
        full["HARDENING_MARKER"] = str(marker)
    full.update(env or {})
    return Gunicorn(*args, env=full)


def exchange(port: int, data: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Send `data`, read until the server closes or `timeout`; (reply, closed by the server)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # rejected before all was sent; the reply may still be readable
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            return b"".join(chunks), False
        except ConnectionResetError:
            pass
        return b"".join(chunks), True


def status_of(reply: bytes) -> int | None:
    parts = reply.split(b" ", 2)
    return int(parts[1]) if reply.startswith(b"HTTP/") and len(parts) > 2 else None


def cases() -> Iterator[tuple[str, str, str]]:
    """(name, expected, description) for each request in tests/malformed/INDEX."""
    for line in (MALFORMED / "INDEX").read_text().splitlines():
        if line and not line.startswith("#"):
            name, expected, description = line.split("  ", 2)
            yield name, expected, description


def marker_lines(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def proc_status(pid: int, field: str) -> int:
    """A numeric field of /proc/<pid>/status, such as VmRSS (kB) or Threads."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def diag(port: int) -> dict[str, int]:
    """The worker's own figures from /h/diag/: pid, rss_kib, fds, tasks, threads, pool_*."""
    return get(port, "/h/diag/").json()


def settled(port: int, baseline: dict[str, int], keys: tuple[str, ...], slack: int,
            timeout: float = 10.0) -> dict[str, int]:
    """Poll /h/diag/ until every key is within `slack` of `baseline`; return the last figures."""
    last: dict[str, int] = {}

    def check() -> dict[str, int] | None:
        nonlocal last
        last = diag(port)
        return last if all(last[k] <= baseline[k] + slack for k in keys) else None

    try:
        return poll(check, timeout, f"{keys} back to {baseline}", interval=0.1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: last {last}") from None


def wait_closed(sock: socket.socket, within: float) -> float:
    """Seconds until the server closes `sock`, failing past `within`."""
    start = time.monotonic()
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        raise AssertionError(f"connection still open after {within} s") from None
    return time.monotonic() - start
