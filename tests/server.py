"""Real servers for tests: an in-process aiohttp server and a gunicorn subprocess.

Both bind 127.0.0.1 themselves (port 0) and are polled for readiness.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from async_handler import AsyncDjangoApplication
from async_handler.aiohttp.server import DjangoServer

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
WORKER = "async_handler.worker.AiohttpWorker"


class LiveServer:
    """AsyncDjangoApplication behind aiohttp's server on an ephemeral loopback port."""

    def __init__(self, server: asyncio.base_events.Server, web_server: web.Server,
                 port: int) -> None:
        self._server = server
        self.web_server = web_server
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    @classmethod
    async def start(cls, app: AsyncDjangoApplication, **options: Any) -> LiveServer:
        options.setdefault("handler_cancellation", True)
        options.setdefault("access_log", None)
        web_server = DjangoServer(app, **options)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(web_server, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        return cls(server, web_server, port)

    async def stop(self) -> None:
        self._server.close()
        await self.web_server.shutdown(1.0)
        await self._server.wait_closed()


def raw_request(port: int, data: bytes, *, timeout: float = 5.0, read_all: bool = True) -> bytes:
    """Send raw bytes to 127.0.0.1:port and return what comes back until close or timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if not read_all:
                    break
        except TimeoutError:
            pass
        return b"".join(chunks)


def gunicorn_supports_control_socket() -> bool:
    out = subprocess.run([GUNICORN, "--help"], capture_output=True, text=True, check=False)
    return "--no-control-socket" in out.stdout


_CONTROL = None


class Gunicorn:
    """A real gunicorn master running our worker on a socket bound here and passed as fd://N."""

    def __init__(self, *args: str, app: str = "tests.wsgi_app:application",
                 env: dict[str, str] | None = None, cwd: str | Path = ROOT,
                 worker: str = WORKER, bind: str | None = None) -> None:
        global _CONTROL
        if _CONTROL is None:
            _CONTROL = gunicorn_supports_control_socket()
        self.sock: socket.socket | None = None
        cmd = [GUNICORN, app, "-k", worker, "--graceful-timeout", "5"]
        pass_fds: tuple[int, ...] = ()
        if bind is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(1024)
            self.port = self.sock.getsockname()[1]
            self.url = f"http://127.0.0.1:{self.port}"
            bind = f"fd://{self.sock.fileno()}"
            pass_fds = (self.sock.fileno(),)
        cmd += ["--bind", bind]
        if _CONTROL:
            cmd.append("--no-control-socket")
        cmd += list(args)
        full_env = dict(os.environ)
        full_env.update({"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)})
        full_env.update(env or {})
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn_", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, cwd=str(cwd), env=full_env, pass_fds=pass_fds,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, path: str = "/sync/", timeout: float = 30.0) -> None:
        """Poll until the worker answers an HTTP request."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.output()}")
            try:
                reply = raw_request(self.port, f"GET {path} HTTP/1.0\r\nHost: t\r\n\r\n".encode(),
                                    timeout=0.5)
                if reply.startswith(b"HTTP/"):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"gunicorn not ready:\n{self.output()}")

    def worker_pids(self) -> list[int]:
        """PIDs of the master's current children."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.log.close()
        return self.proc.returncode

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass
