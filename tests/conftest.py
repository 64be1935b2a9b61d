"""Test set-up: Django on a per-session SQLite file shared with gunicorn subprocesses."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

_DB_DIR = tempfile.mkdtemp(prefix="async_handler_tests_")
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ["ASYNC_HANDLER_TEST_DB"] = str(Path(_DB_DIR) / "db.sqlite3")

import django  # noqa: E402

django.setup()

from aiohttp import web  # noqa: E402
from django.core.management import call_command  # noqa: E402

from async_handler import AsyncDjangoApplication  # noqa: E402
from tests.drf_app.testing import CLIENT_KINDS  # noqa: E402
from tests.server import LiveServer  # noqa: E402


def pytest_sessionstart(session: pytest.Session) -> None:
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from django.db import connections

    connections.close_all()


@pytest.fixture
async def app() -> AsyncIterator[AsyncDjangoApplication]:
    """The handler, started on the test's event loop and stopped after it."""
    application = AsyncDjangoApplication()
    await application.startup(threads=4)
    try:
        yield application
    finally:
        await application.shutdown()


@pytest.fixture
async def live_server(app: AsyncDjangoApplication) -> AsyncIterator[LiveServer]:
    """An in-process aiohttp server on a loopback socket, serving `app`."""
    server = await LiveServer.start(app)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def gunicorn_env() -> Iterator[dict[str, str]]:
    yield {"DJANGO_SETTINGS_MODULE": "tests.settings",
           "ASYNC_HANDLER_TEST_DB": os.environ["ASYNC_HANDLER_TEST_DB"]}


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster (tests/services/postgres.py), stopped after the session."""
    from tests.services import postgres as pg

    if not pg.available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is missing: `make test` runs tests/services/ensure.sh")
        pytest.skip("PostgreSQL's initdb is not installed (tests/services/ensure.sh installs it)")
    server = pg.PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis() -> Iterator[Any]:
    """A throwaway redis-server on a unix socket (tests/services/redis.py), stopped after."""
    from tests.services import redis as rd

    if not rd.available():
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: `make test` runs tests/services/ensure.sh")
        pytest.skip("redis-server is not installed (tests/services/ensure.sh installs it)")
    server = rd.RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def client() -> AsyncIterator[Any]:
    """An aiohttp client session for the WebSocket tests."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def in_memory() -> Iterator[None]:
    """Channels' in-memory layer as CHANNEL_LAYERS, for one process."""
    from django.test import override_settings

    with override_settings(CHANNEL_LAYERS={
            "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}):
        yield


@pytest.fixture
def drf_clean() -> Iterator[None]:
    """DRF tests' clean slate; the DRF modules use it through their pytestmark."""
    from tests.drf_app.testing import reset

    reset()
    yield
    reset()


@pytest.fixture(params=CLIENT_KINDS)
def api(request: pytest.FixtureRequest) -> Any:
    """A test client for the DRF views, through Django's WSGI and ASGI handlers in turn."""
    from tests.drf_app.testing import Api

    return Api(request.param)


@pytest.fixture
def alice() -> Any:
    from tests.drf_app.testing import make_user

    return make_user("alice")


@pytest.fixture
def bob() -> Any:
    from tests.drf_app.testing import make_user

    return make_user("bob")


__all__ = ["web"]
