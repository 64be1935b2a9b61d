"""The middleware chain against Django's own: same hooks, same order, same responses.

Django's sync handler (the test Client) is the reference. Each scenario runs
through it and through AsyncDjangoApplication on a live aiohttp server, and
the hooks that ran, the status, the body and the headers must match.
"""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp
import pytest
from django.test import Client, override_settings

from async_handler import AsyncDjangoApplication
from tests import middleware as mw
from tests.server import LiveServer

H, HB = "tests.middleware.Hooks", "tests.middleware.HooksB"
SYNC_ONLY, ASYNC_ONLY = "tests.middleware.sync_only", "tests.middleware.async_only"
CHAINS = {
    "hooks": [H, HB],
    "sync-nesting": [H, SYNC_ONLY, HB],
    "async-nesting": [H, ASYNC_ONLY, HB],
    "mixed": [SYNC_ONLY, H, ASYNC_ONLY, HB],
}
ACTS = [
    "", "return:hooks.process_request", "raise:hooksB.process_request",
    "raise404:hooks.process_request", "return:hooksB.process_view", "raise403:hooks.process_view",
    "raise:hooksB.process_response", "raise400:hooks.process_response",
    "return:hooks.process_response", "return:hooksB.process_exception",
    "raise:hooks.process_exception", "return:sync_only.before", "raise:async_only.before",
]
VIEW_ACTS = ["", "raise", "raise404", "raise403", "raise400", "badrequest", "template"]


def _reference(path: str, headers: dict[str, str]) -> tuple[int, bytes, str, list[str]]:
    mw.EVENTS.clear()
    response = Client(raise_request_exception=False).get(path, headers=headers)
    return response.status_code, response.content, response.get("X-Seen", ""), list(mw.EVENTS)


async def _ours(session: aiohttp.ClientSession, url: str,
                headers: dict[str, str]) -> tuple[int, bytes, str, list[str]]:
    mw.EVENTS.clear()
    async with session.get(url, headers=headers) as response:
        body = await response.read()
        return response.status, body, response.headers.get("X-Seen", ""), list(mw.EVENTS)


@pytest.mark.parametrize("chain", sorted(CHAINS))
async def test_chain_matches_django(chain: str) -> None:
    """Every act at every hook, for sync and async views, answers as Django's handler does."""
    with override_settings(MIDDLEWARE=CHAINS[chain]):
        app = AsyncDjangoApplication()
        await app.startup(threads=2)
        server = await LiveServer.start(app)
        try:
            async with aiohttp.ClientSession() as session:
                for view, act, view_act in itertools.product(("sync", "async"), ACTS, VIEW_ACTS):
                    headers = {"X-Act": act, "X-View": view_act}
                    expected = await _in_thread(_reference, f"/{view}/", headers)
                    got = await _ours(session, f"{server.url}/{view}/", headers)
                    assert got == expected, (chain, view, act, view_act)
        finally:
            await server.stop()
            await app.shutdown()


async def _in_thread(fn: Any, *args: Any) -> Any:
    # Django's test Client is sync; it must not run on the test's event loop.
    from asgiref.sync import sync_to_async

    return await sync_to_async(fn, thread_sensitive=False)(*args)


class CountingApp(AsyncDjangoApplication):
    """Counts thread hops; the behaviour under test is where hooks run."""

    hops = 0

    async def run_sync(self, fn: Any, *args: Any) -> Any:
        self.hops += 1
        return await super().run_sync(fn, *args)


async def _hops(middleware: list[str], path: str, **kwargs: Any) -> tuple[int, CountingApp, Any]:
    with override_settings(MIDDLEWARE=middleware, **kwargs):
        app = CountingApp()
        await app.startup(threads=2)
        server = await LiveServer.start(app)
        try:
            async with aiohttp.ClientSession() as session:
                app.hops = 0
                async with session.get(server.url + path) as response:
                    await response.read()
                    return app.hops, app, response
        finally:
            await server.stop()
            await app.shutdown()


DEFAULT = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


async def test_default_middleware_async_view_takes_no_thread() -> None:
    """Django's default MIDDLEWARE and an async view: every hook runs on the loop."""
    hops, app, response = await _hops(DEFAULT, "/async/")
    assert response.status == 200 and response.headers["X-Frame-Options"] == "DENY"
    assert hops == 0


async def test_default_middleware_sync_view_takes_one_hop() -> None:
    hops, _, response = await _hops(DEFAULT, "/sync/")
    assert response.status == 200
    assert hops == 1


async def test_unknown_sync_middleware_is_batched() -> None:
    """Two unknown hook-style middleware around an async view: one hop in, one hop out."""
    hops, _, response = await _hops(DEFAULT + [H, HB], "/async/")
    assert response.status == 200 and response.headers["X-Seen"] == "hooksB;hooks;"
    # one hop each for the request, view and response hooks
    assert hops == 3


async def test_csrf_uses_sessions_runs_off_loop() -> None:
    hops, _, response = await _hops(DEFAULT, "/async/", CSRF_USE_SESSIONS=True)
    assert response.status == 200
    assert hops >= 1


async def test_third_party_orm_middleware_runs_on_the_request_thread() -> None:
    """ORM in process_request/process_response: no SynchronousOnlyOperation, one thread."""
    orm = "tests.middleware.ORMMiddleware"
    for path in ("/async/", "/sync/"):
        _, _, response = await _hops(DEFAULT + [orm], path)
        assert response.status == 200, path
        assert response.headers["X-ORM-Same-Thread"] == "True"
        if path == "/sync/":
            assert response.headers["X-ORM-View-Thread"] == "True"


async def test_json_responses_render_on_the_loop_html_ones_off_it() -> None:
    """A DRF response rendered by JSONRenderer needs no hop to render; the browsable API does."""
    json_hops, _, response = await _hops(DEFAULT, "/drf/notes/")
    assert response.status == 200 and response.headers["Content-Type"] == "application/json"

    class Html(CountingApp):
        pass

    with override_settings(MIDDLEWARE=DEFAULT):
        app = Html()
        await app.startup(threads=2)
        server = await LiveServer.start(app)
        try:
            async with aiohttp.ClientSession() as session:
                app.hops = 0
                async with session.get(server.url + "/drf/notes/",
                                       headers={"Accept": "text/html"}) as r:
                    assert r.status == 200 and "text/html" in r.headers["Content-Type"]
                    await r.read()
                html_hops = app.hops
        finally:
            await server.stop()
            await app.shutdown()
    assert html_hops == json_hops + 1
