"""A throwaway redis-server for tests: Debian's binary, on a unix socket in a temporary directory.

No TCP port at all, so nothing else on the machine can reach it or collide
with it; no persistence. `stop()` always kills it and removes the directory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _binary() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


def available() -> bool:
    return _binary() is not None


class RedisServer:
    """One server: `start()` it, hand `url` to channels_redis, `stop()` it."""

    def __init__(self) -> None:
        binary = _binary()
        if binary is None:
            raise RuntimeError("redis-server not found: run tests/services/ensure.sh")
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="async_handler_redis_"))
        self.path = self.dir / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def _ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1.0)
                sock.connect(str(self.path))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 30.0) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", "0", "--unixsocket", str(self.path), "--unixsocketperm", "700",
             "--dir", str(self.dir), "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self._ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "redis.log")
                text = log.read_text(errors="replace") if log.exists() else ""
                self.stop()
                raise RuntimeError(f"redis-server did not start:\n{text}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
