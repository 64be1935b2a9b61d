"""Real ASGI servers in subprocesses, serving tests.asgi_app on 127.0.0.1.

Each is handed a socket bound here (fd) where it takes one; granian binds
port 0 itself and its port is read from /proc. Readiness is polled, never
slept for.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.server import GUNICORN, ROOT, gunicorn_supports_control_socket, raw_request

APP = "tests.asgi_app:application"
BIN = Path(sys.executable).parent


def _gunicorn(*args: str) -> list[str]:
    control = ["--no-control-socket"] if gunicorn_supports_control_socket() else []
    return [GUNICORN, APP, "--workers", "1", "--bind", "fd://{fd}", *control, *args]


#: name -> (the module it needs, the command; {fd} is the socket's descriptor).
SERVERS: dict[str, tuple[str, list[str]]] = {
    "uvicorn": ("uvicorn", [sys.executable, "-m", "uvicorn", APP, "--fd", "{fd}",
                            "--lifespan", "on", "--log-level", "warning"]),
    "uvicorn-worker": ("uvicorn_worker", _gunicorn("-k", "uvicorn_worker.UvicornWorker")),
    "gunicorn-asgi": ("gunicorn", _gunicorn("-k", "asgi")),
    "hypercorn": ("hypercorn", [str(BIN / "hypercorn"), APP, "--bind", "fd://{fd}"]),
    "daphne": ("daphne", [str(BIN / "daphne"), "--fd", "{fd}", "-v", "1", APP]),
    "granian": ("granian", [str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
                            "--port", "0", "--workers", "1", APP]),
}


#: How each server is told to serve on a socket bound here ({fd}) or on a port it picks.
BIND: dict[str, list[str]] = {
    "uvicorn": ["--fd", "{fd}"], "uvicorn-worker": ["--bind", "fd://{fd}"],
    "gunicorn-asgi": ["--bind", "fd://{fd}"], "hypercorn": ["--bind", "fd://{fd}"],
    "daphne": ["--fd", "{fd}"], "granian": ["--host", "127.0.0.1", "--port", "0"],
}


def server_name(words: list[str]) -> str:
    """Which of SERVERS a command line runs."""
    if words[0] == "gunicorn":
        return "uvicorn-worker" if "uvicorn_worker.UvicornWorker" in words else "gunicorn-asgi"
    return words[0]


def available(name: str) -> bool:
    module, command = SERVERS[name]
    if importlib.util.find_spec(module) is None:
        return False
    return command[0] == sys.executable or shutil.which(command[0]) is not None


def _children(pid: int) -> list[int]:
    try:
        kids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _listening_port(pids: list[int]) -> int | None:
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
            return int(fields[1].split(":")[1], 16)
    return None


class ASGIServer:
    """One server process serving tests.asgi_app, stopped on exit."""

    def __init__(self, name: str, env: dict[str, str] | None = None,
                 command: list[str] | None = None, cwd: Path = ROOT) -> None:
        if not available(name):
            pytest.skip(f"{name} is not installed")
        self.name = name
        self.sock: socket.socket | None = None
        command = command or SERVERS[name][1]
        pass_fds: tuple[int, ...] = ()
        self.port = 0
        if any("{fd}" in part for part in command):
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(1024)
            self.port = self.sock.getsockname()[1]
            pass_fds = (self.sock.fileno(),)
            command = [part.replace("{fd}", str(self.sock.fileno())) for part in command]
        full_env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings",
                        PYTHONPATH=str(ROOT))
        full_env.update(env or {})
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}_", suffix=".log", delete=False)
        self.proc = subprocess.Popen(command, cwd=str(cwd), env=full_env, pass_fds=pass_fds,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, path: str = "/sync/", timeout: float = 60.0) -> ASGIServer:
        """Poll until the server answers an HTTP request."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
            if not self.port:
                self.port = _listening_port([self.proc.pid, *_children(self.proc.pid)]) or 0
            if self.port:
                try:
                    reply = raw_request(
                        self.port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close"
                        "\r\n\r\n".encode(), timeout=2)
                    if reply.startswith(b"HTTP/"):
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} not ready:\n{self.output()}")

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.log.close()
        return self.proc.returncode

    def __enter__(self) -> ASGIServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass
