"""One stack serving the bench project: our socket, the server process, readiness, its worker."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Self

from . import memory, procs
from .stacks import Stack

HOST = "127.0.0.1"
READY_PATH = "/hello/sync/"


def listening_port(pid: int) -> int:
    """The TCP port a server that bound port 0 itself (granian) listens on, from /proc; or 0.

    The same lookup as tests/asgi/servers.py: the listening sockets among the
    descriptors of the process and its children.
    """
    pids, inodes = [pid], set()
    for parent in pids:
        pids.extend(memory.children(parent))
    for each in pids:
        try:
            for fd in Path(f"/proc/{each}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
            return int(fields[1].split(":")[1], 16)
    return 0


class ServerError(RuntimeError):
    """The server exited or never answered."""


class Server:
    """Binds 127.0.0.1:0, starts the stack on that fd, polls until it answers; stops it on exit."""

    def __init__(
        self,
        stack: Stack,
        env: dict[str, str],
        cwd: Path,
        log_path: Path,
        extra_args: tuple[str, ...] = (),
        ready_timeout: float = 60.0,
    ) -> None:
        self.stack = stack
        self.env = env
        self.cwd = cwd
        self.log_path = log_path
        self.extra_args = extra_args
        self.ready_timeout = ready_timeout
        self.port = 0
        self.proc: subprocess.Popen[Any] | None = None
        self.first_worker_pid = 0
        self._exit = ExitStack()

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Self:
        try:
            fd = -1
            if not self.stack.own_port:
                sock = self._exit.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((HOST, 0))
                sock.listen(2048)
                self.port = sock.getsockname()[1]
                fd = sock.fileno()
                os.set_inheritable(fd, True)
            log = self._exit.enter_context(self.log_path.open("ab"))
            argv = self.stack.argv(fd) + list(self.extra_args)
            log.write(("$ " + " ".join(argv) + "\n").encode())
            log.flush()
            self.proc = self._exit.enter_context(
                procs.started(
                    argv,
                    env=self.env,
                    cwd=str(self.cwd),
                    stdout=log,
                    stderr=log,
                    pass_fds=(fd,) if fd >= 0 else (),
                )
            )
            self._wait_ready()
            self.first_worker_pid = self.worker_pid()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.ready_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(
                    f"{self.stack.name} exited with {self.proc.returncode}; see {self.log_path}"
                )
            if not self.port:
                self.port = listening_port(self.proc.pid)
                if not self.port:
                    time.sleep(0.05)
                    continue
            status, last_error = self.probe(READY_PATH)
            if status == 200:
                return
            time.sleep(0.05)
        raise ServerError(
            f"{self.stack.name} not ready after {self.ready_timeout:.0f}s ({last_error}); "
            f"see {self.log_path}"
        )

    def probe(self, path: str, timeout: float = 2.0) -> tuple[int, str]:
        """GET path once; (status, body start) or (0, error)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read(200)
            return resp.status, body.decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            return 0, f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()

    def worker_pid(self) -> int:
        """The single worker: the arbiter's one child, or the server itself when it has none."""
        assert self.proc is not None
        kids = memory.children(self.proc.pid)
        if not kids:
            return self.proc.pid
        return kids[-1]

    def worker_rss_kb(self) -> int:
        return memory.rss_kb(self.worker_pid())

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tracebacks(self, since: int) -> dict[str, int]:
        """Count the exceptions the server logged after byte offset `since`, by their last line."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(since)
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return {}
        found: dict[str, int] = {}
        for block in text.split("Traceback (most recent call last):")[1:]:
            lines = [ln for ln in block.splitlines() if ln and not ln.startswith((" ", "\t"))]
            last = (lines[0] if lines else "unknown")[:200]
            found[last] = found.get(last, 0) + 1
        return found

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
