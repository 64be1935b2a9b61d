"""A throwaway PostgreSQL cluster for tests and benchmarks, made with initdb and pg_ctl.

It lives in a temporary directory and listens on a unix socket there, and on
127.0.0.1 only when asked for a TCP port. Under root (as in CI) the server
runs as Debian's `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb not found: run tests/services/ensure.sh")
    return Path(initdb).parent


def available() -> bool:
    try:
        _bindir()
    except RuntimeError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One cluster: `start()` it, read `settings(...)` for Django, `stop()` it."""

    def __init__(self, *, tcp: bool = False, max_connections: int = 100) -> None:
        self.bindir = _bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="async_handler_pg_"))
        self.data = self.dir / "data"
        self.port = _free_port() if tcp else 5432 + os.getpid() % 20000
        self.tcp = tcp
        self.max_connections = max_connections
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        self.started = False

    def _run(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)

    def start(self) -> PostgresServer:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")
        listen = "127.0.0.1" if self.tcp else ""
        options = (f"-k {self.dir} -p {self.port} -c listen_addresses='{listen}' "
                   f"-c max_connections={self.max_connections} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self.started = True
        return self

    @property
    def host(self) -> str:
        """Where Django and psycopg connect: the socket directory."""
        return str(self.dir)

    def psql(self, sql: str, db: str = "postgres") -> str:
        out = self._run("psql", "-h", self.host, "-p", str(self.port), "-U", "postgres",
                        "-d", db, "-Atqc", sql)
        return out.stdout.strip()

    def create_database(self, name: str) -> None:
        self.psql(f'CREATE DATABASE "{name}"')

    def connections(self, db: str) -> list[int]:
        """Backend pids of client connections to `db`, this query's own excluded."""
        out = self.psql("SELECT pid FROM pg_stat_activity WHERE datname = "
                        f"'{db}' AND backend_type = 'client backend' "
                        "AND pid <> pg_backend_pid()", db="postgres")
        return [int(line) for line in out.split()]

    def env(self, db: str) -> dict[str, str]:
        """What tests.pg_settings reads to reach this cluster."""
        return {"ASYNC_HANDLER_PG_HOST": self.host, "ASYNC_HANDLER_PG_PORT": str(self.port),
                "ASYNC_HANDLER_PG_NAME": db}

    def stop(self) -> None:
        if self.started:
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                pass
            self.started = False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                shutil.rmtree(self.dir)
                return
            except OSError:
                time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
