"""The PostgreSQL section (issue 10, point 7): realistic async views on every stack, one cluster.

A throwaway cluster (tests/services/postgres.py: initdb and pg_ctl, 127.0.0.1 on a free port,
`max_connections` 100, the default), one database for all stacks, each stack's connections
named by `application_name`. A bare aiohttp upstream answers the upstream row after 1 s. Rows
that need other server settings (`server_extra`: the sync middleware and request_started
receiver) run on servers of their own. During each measured run a thread polls pg_stat_activity
every 20 ms for the peak number of connections, of that stack and of all. The cluster, the
upstream and every server are stopped on the way out, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Self

from . import procs, project, runner, session
from .stacks import Stack
from .workloads import Workload

if str(project.REPO_DIR) not in sys.path:
    sys.path.insert(1, str(project.REPO_DIR))

from tests.services import postgres as pg_service  # noqa: E402

DB = "bench"
MAX_CONNECTIONS = 100
UPSTREAM_DELAY_S = 1.0
POLL_S = 0.02
UPSTREAM = Path(__file__).with_name("upstream.py")


def unavailable() -> str:
    """Why the section cannot run here, or "" when it can."""
    if not pg_service.available():
        return (
            "PostgreSQL's initdb not found (Debian: apt-get install postgresql, or run "
            "tests/services/ensure.sh)"
        )
    if find_spec("psycopg") is None:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    return ""


@contextmanager
def cluster(raw_dir: Path) -> Iterator[pg_service.PostgresServer]:
    """Start the cluster on 127.0.0.1 with the bench database; stop and remove it afterwards."""
    server = pg_service.PostgresServer(tcp=True, max_connections=MAX_CONNECTIONS)
    try:
        server.start()
        server.create_database(DB)
        yield server
    finally:
        log = server.dir / "server.log"
        if log.exists():
            shutil.copyfile(log, raw_dir / "postgres.log")
        server.stop()


@contextmanager
def upstream(raw_dir: Path, delay_s: float = UPSTREAM_DELAY_S) -> Iterator[str]:
    """The slow upstream server on 127.0.0.1; yields its URL once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(2048)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        fd = sock.fileno()
        with (
            (raw_dir / "upstream.log").open("wb") as log,
            procs.started(
                [sys.executable, str(UPSTREAM), "--fd", str(fd), "--delay", str(delay_s)],
                stdout=log,
                stderr=log,
                pass_fds=(fd,),
            ) as proc,
        ):
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(url + "?s=0", timeout=2) as reply:
                        if reply.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the upstream server did not start; see {log.name}")
                time.sleep(0.05)
            yield url


class ConnectionPeak:
    """Polls pg_stat_activity in a thread: peak client connections of one stack, and of all."""

    SQL = (
        "SELECT application_name, count(*) FROM pg_stat_activity "
        "WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
        "GROUP BY application_name"
    )

    def __init__(self, pg: pg_service.PostgresServer, stack: str) -> None:
        self.pg, self.stack = pg, stack
        self.peak = self.peak_all = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._conn: Any = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                rows = self._conn.execute(self.SQL, (DB,)).fetchall()
            except Exception:  # the cluster went away: keep what was seen
                return
            counts = dict(rows)
            self.peak = max(self.peak, counts.get(self.stack, 0))
            self.peak_all = max(self.peak_all, sum(counts.values()))
            self.samples += 1
            self._stop.wait(POLL_S)

    def __enter__(self) -> Self:
        import psycopg

        self._conn = psycopg.connect(
            host="127.0.0.1", port=self.pg.port, user="postgres", dbname="postgres", autocommit=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()

    def figures(self) -> dict[str, int]:
        return {"db_peak": self.peak, "db_peak_all": self.peak_all, "db_samples": self.samples}


def server_env(data: Path, pg: pg_service.PostgresServer, upstream_url: str) -> dict[str, str]:
    """The bench project on this cluster: pg_settings, its own data folder, no big file."""
    data.mkdir(parents=True, exist_ok=True)
    return {
        **project.server_env(data),
        "DJANGO_SETTINGS_MODULE": "bench_project.pg_settings",
        "BENCH_PG_HOST": "127.0.0.1",
        "BENCH_PG_PORT": str(pg.port),
        "BENCH_PG_NAME": DB,
        "BENCH_UPSTREAM_URL": upstream_url,
        "BENCH_BIG_FILE_BYTES": "0",
    }


def run(
    cfg: runner.Settings,
    wrk_path: str,
    data: Path,
    raw_dir: Path,
    available: list[Stack],
    workloads: list[Workload],
    repeat: int,
) -> tuple[session.Results, dict[str, Any]]:
    """Start the cluster and the upstream, measure every (row, stack), stop everything.

    Returns the figures and what the report says about the setting (PostgreSQL's version).
    """
    with cluster(raw_dir) as pg, upstream(raw_dir) as upstream_url:
        env = server_env(data / "pg", pg, upstream_url)
        print(
            f"==> PostgreSQL {pg.psql('SHOW server_version')} on 127.0.0.1:{pg.port} "
            f"(max_connections {pg.psql('SHOW max_connections')}); upstream {upstream_url}",
            flush=True,
        )
        cookie = project.prepare(env)
        cfg = replace(cfg, session_cookie=cookie)
        stack_env = {s.name: {"BENCH_PG_APP": s.name} for s in available}

        def watch(stack: str) -> ConnectionPeak:
            return ConnectionPeak(pg, stack)

        results: session.Results = {}
        groups = list(dict.fromkeys(wl.server_extra for wl in workloads))
        for extra in groups:
            mine = [wl for wl in workloads if wl.server_extra == extra]
            steps = session.plan(available, mine, repeat)
            if not steps:
                continue
            if extra:
                print(f"==> servers with BENCH_PG_EXTRA={extra}", flush=True)
            group_raw = raw_dir / ("postgres-" + (extra.replace(",", "-") or "default"))
            group_raw.mkdir(parents=True, exist_ok=True)
            found = session.run_all(
                steps,
                cfg,
                wrk_path,
                {**env, "BENCH_PG_EXTRA": extra},
                group_raw,
                stack_env=stack_env,
                watch=watch,
            )
            for stack_name, rows in found.items():
                results.setdefault(stack_name, {}).update(rows)
        setting = {
            "postgres": pg.psql("SHOW server_version"),
            "max_connections": int(pg.psql("SHOW max_connections")),
            "upstream_delay_s": UPSTREAM_DELAY_S,
        }
    return results, setting
