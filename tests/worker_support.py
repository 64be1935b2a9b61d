"""Helpers for the gunicorn worker tests: a strict HTTP client, polling, gunicorn set-ups."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from tests.server import Gunicorn

T = TypeVar("T")
SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.worker_settings"}


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix socket, for gunicorn's `--bind unix:PATH`."""

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def fetch(conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None,
          ) -> Reply:
    """One request on `conn`, which stays open if the server keeps it alive; never retried."""
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    return Reply(response.status, body, {k.lower(): v for k, v in response.getheaders()})


def get(port: int, path: str, headers: dict[str, str] | None = None,
        timeout: float = 10.0) -> Reply:
    """One request on a fresh connection to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return fetch(conn, path, headers)
    finally:
        conn.close()


def poll(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05) -> T:
    """Call `check` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def worker_pid(g: Gunicorn) -> int:
    """The single worker's pid, once there is exactly one."""
    return poll(lambda: g.worker_pids()[0] if len(g.worker_pids()) == 1 else None,
                10, "one worker")


def served_pid(port: int) -> int:
    return int(get(port, "/pid/").json()["pid"])


def listening_port(g: Gunicorn) -> int:
    """The TCP port gunicorn bound itself, read from its 'Listening at' log line."""
    def find() -> int | None:
        match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", g.output())
        return int(match.group(1)) if match else None

    return poll(find, 30, "gunicorn's 'Listening at' line")


def connection_refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def keepalive_client(port: int, n: int, out: list[tuple[int, bool] | BaseException]) -> None:
    """n sequential GET /pid/ on one keep-alive connection, reconnecting only when told to."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        for _ in range(n):
            try:
                reply = fetch(conn, "/pid/")
                assert reply.status == 200, reply
                out.append((reply.json()["pid"], reply.headers.get("connection") == "close"))
            except BaseException as exc:  # noqa: BLE001 - every failure is a finding
                out.append(exc)
                conn.close()
    finally:
        conn.close()


def _wrap(app: Any) -> Any:
    def wrapped(environ: Any, start_response: Any) -> Any:
        return app(environ, start_response)

    return wrapped


def wrapped_application() -> Any:
    """A WSGI wrapper around the application, as WhiteNoise(application) would be."""
    from tests.wsgi_app import application

    return _wrap(application)
