"""Fixtures shared by the ASGI application's in-process tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from async_handler.asgi import ASGIApplication


@pytest.fixture
async def asgi_app() -> AsyncIterator[ASGIApplication]:
    """The ASGI application, started as a lifespan startup would and stopped after the test."""
    app = ASGIApplication()
    await app.startup()
    try:
        yield app
    finally:
        await app.shutdown()
