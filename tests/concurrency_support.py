"""Helpers for the concurrency tests: database set-up, a 200-request burst, a connection watch."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.server import ROOT, Gunicorn
from tests.services.postgres import PostgresServer

APP = "tests.concurrency_wsgi:application"


def prepare(env: dict[str, str]) -> str:
    """Migrate the database `env` points at and return a logged-in session key."""
    full = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    out = subprocess.run([sys.executable, "-m", "tests.concurrency_setup"], cwd=ROOT,
                         env=full, capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.strip().splitlines()[-1]


def gunicorn(env: dict[str, str], *args: str) -> Gunicorn:
    server = Gunicorn("--workers", "1", "--timeout", "60", *args, app=APP, env=env)
    server.wait_ready("/stats/")
    return server


@dataclass
class Burst:
    statuses: list[int] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.count(200)


async def burst(url: str, n: int = 200, *, cookies: dict[str, str] | None = None,
                headers: list[dict[str, str]] | None = None, timeout: float = 90) -> Burst:
    """`n` requests at once, each on its own connection."""
    result = Burst()
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, cookies=cookies,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async def one(i: int) -> None:
            try:
                async with session.get(url, headers=headers[i] if headers else None) as reply:
                    result.bodies.append(await reply.text())
                    result.statuses.append(reply.status)
            except Exception as exc:  # counted, and shown by the assertion
                result.errors.append(repr(exc))

        start = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(n)))
        result.elapsed = time.monotonic() - start
    return result


async def stats(base: str, reset: bool = False) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/stats/" + ("?reset=1" if reset else "")) as reply:
            return dict(await reply.json())


UPSTREAM = {"now": 0, "peak": 0}


@asynccontextmanager
async def upstream(delay: float) -> AsyncIterator[str]:
    """A slow upstream HTTP server on 127.0.0.1, for views that call out; counts calls in flight."""
    UPSTREAM.update(now=0, peak=0)

    async def slow(request: web.Request) -> web.Response:
        UPSTREAM["now"] += 1
        UPSTREAM["peak"] = max(UPSTREAM["peak"], UPSTREAM["now"])
        try:
            await asyncio.sleep(delay)
        finally:
            UPSTREAM["now"] -= 1
        return web.Response(text="upstream")

    app = web.Application()
    app.router.add_get("/", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


class ConnectionWatch:
    """Polls a PostgreSQL database's client connections while a burst runs; keeps the peak."""

    def __init__(self, pg: PostgresServer, db: str) -> None:
        self.pg, self.db = pg, db
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    _SQL = ("SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")

    async def _connect(self) -> Any:
        import psycopg

        return await psycopg.AsyncConnection.connect(
            host=self.pg.host, port=self.pg.port, user="postgres", dbname="postgres",
            autocommit=True)

    async def count(self) -> list[int]:
        """The database's client connections now (this watch's own excluded)."""
        async with await self._connect() as conn:
            cur = await conn.execute(self._SQL, (self.db,))
            return [row[0] for row in await cur.fetchall()]

    async def _poll(self, conn: Any) -> None:
        while True:
            cur = await conn.execute(self._SQL, (self.db,))
            self.peak = max(self.peak, len(await cur.fetchall()))
            await asyncio.sleep(0.02)

    async def __aenter__(self) -> ConnectionWatch:
        self._conn = await self._connect()
        self._task = asyncio.ensure_future(self._poll(self._conn))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        await self._conn.close()
