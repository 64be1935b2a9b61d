"""async_handler.drf through the real worker: a gunicorn subprocess running AiohttpWorker,
and in-process through AsyncDjangoApplication on aiohttp's server.

The same views as tests/test_drf.py; here what matters is that session cookies,
CSRF, token auth, routers, early exits and DB-touching exception handlers all work
when the handler is awaited on the worker's loop and sync work runs on its pool.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.drf_app.models import Note
from tests.drf_app.testing import as_user
from tests.server import Gunicorn, LiveServer

# Every test here starts and ends with no users, notes or cached policies.
pytestmark = pytest.mark.usefixtures("drf_clean")

CSRF = "c" * 32  # any 32-character token is a valid unmasked CSRF cookie value


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    with Gunicorn("--workers", "1") as gunicorn:
        gunicorn.wait_ready()
        yield gunicorn
        log = gunicorn.output()
    # The one traceback expected is the deliberate 500 ("boom"); nothing else may fail.
    assert "SynchronousOnlyOperation" not in log
    assert log.count("Traceback") == log.count("ValueError: boom"), log


@pytest.fixture
def session_cookie(alice: Any) -> str:
    """Alice's logged-in session, stored in the shared database, as a browser holds it."""
    client = Client()
    client.force_login(alice)
    return client.cookies["sessionid"].value


@pytest.fixture
def token(alice: Any) -> Token:
    return Token.objects.create(user=alice)


@pytest.fixture
def note(alice: Any) -> Note:
    return Note.objects.create(title="mine", owner=alice)


async def _call(url: str, method: str = "GET", *, json: Any = None,
                headers: dict[str, str] | None = None,
                cookies: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    async with (
        aiohttp.ClientSession(cookies=cookies) as session,
        session.request(method, url, json=json, headers=headers) as reply,
    ):
        body = await reply.json() if reply.content_type == "application/json" else None
        return reply.status, body, reply.headers


async def test_session_cookie_and_csrf_under_the_worker(
    server: Gunicorn, alice: Any, session_cookie: str
) -> None:
    cookies = {"sessionid": session_cookie, "csrftoken": CSRF}
    status, body, _ = await _call(server.url + "/drf/session-only/", cookies=cookies)
    assert (status, body["user"], body["auser"]) == (200, alice.username, alice.username)
    status, body, _ = await _call(server.url + "/drf/session-only/", "POST", json={"a": 1},
                                  cookies=cookies)
    assert status == 403 and "CSRF" in body["detail"]
    status, body, _ = await _call(server.url + "/drf/session-only/", "POST", json={"a": 1},
                                  cookies=cookies, headers={"X-CSRFToken": CSRF})
    assert (status, body) == (200, {"received": {"a": 1}})


async def test_token_auth_policies_run_off_the_loop_under_the_worker(
    server: Gunicorn, alice: Any, token: Token
) -> None:
    headers = {"Authorization": f"Token {token.key}", "X-Throttle-Key": uuid.uuid4().hex}
    status, body, _ = await _call(server.url + "/drf/policies/", headers=headers)
    assert status == 200 and body["user"] == alice.username
    (policy_thread,) = body["policy_threads"]  # one hop, one thread for all three
    assert policy_thread != body["handler_thread"]
    await _call(server.url + "/drf/policies/", headers=headers)
    status, _, reply_headers = await _call(server.url + "/drf/policies/", headers=headers)
    assert status == 429 and "Retry-After" in reply_headers


async def test_model_viewset_through_default_router_under_the_worker(
    server: Gunicorn, alice: Any
) -> None:
    me = as_user(alice)
    status, note, _ = await _call(server.url + "/drf/notes/", "POST", json={"title": "w"},
                                  headers=me)
    assert status == 201 and note["owner"] == alice.pk
    url = f"{server.url}/drf/notes/{note['id']}/"
    assert (await _call(url))[1] == note
    assert (await _call(url, "PATCH", json={"title": "v"}, headers=me))[1]["title"] == "v"
    assert (await _call(url + "rename/", "POST", json={"title": "u"}, headers=me))[0] == 200
    assert (await _call(server.url + "/drf/notes/count/"))[1] == {"count": 1}
    assert (await _call(url, "DELETE", headers=me))[0] == 204
    assert (await _call(url))[0] == 404


async def test_early_exits_under_the_worker(server: Gunicorn, alice: Any) -> None:
    base = server.url + "/drf/"
    assert (await _call(base + "notes/", "POST", json={"title": "x"}))[0] == 401
    assert (await _call(base + "mixed-view/", "DELETE"))[0] == 405
    status, body, _ = await _call(base + "notes/", "OPTIONS", headers=as_user(alice))
    assert status == 200 and "POST" in body["actions"]
    assert (await _call(base + "deny/", headers=as_user(alice)))[1] == {"detail": "async says no"}
    throttled = {"X-Async-Throttle": "1"}
    status, _, headers = await _call(base + "function-throttled/", headers=throttled)
    assert (status, headers["Retry-After"]) == (429, "7")


async def test_handlers_exceptions_and_object_permissions_under_the_worker(
    server: Gunicorn, alice: Any, bob: Any, note: Note
) -> None:
    base = server.url + "/drf/"
    status, body, _ = await _call(base + "failing/")
    assert status == 404 and isinstance(body["users"], int)  # the handler's DB query ran
    assert (await _call(base + "mixed-view/", "POST", json={}))[1]["on_loop"] is False
    assert (await _call(base + "mixed-view/", "PUT"))[0] == 500
    intruder = as_user(bob)
    assert (await _call(f"{base}owned-notes/{note.pk}/", headers=intruder))[0] == 403
    assert (await _call(f"{base}manual-check/{note.pk}/", headers=as_user(alice)))[0] == 200
    assert (await _call(f"{base}manual-check/{note.pk}/", headers=intruder))[0] == 403
    status, body, _ = await _call(f"{base}function/", "POST", json={"k": 1},
                                  headers={"X-Allow": "yes"})
    assert (status, body) == (200, {"method": "POST", "data": {"k": 1}, "on_loop": True})


async def test_paginated_list_in_process(live_server: LiveServer) -> None:
    await Note.objects.abulk_create([Note(title=f"n{i}") for i in range(5)])
    status, body, _ = await _call(live_server.url + "/drf/paged-notes/?page=2")
    assert status == 200 and body["count"] == 5
    assert [n["title"] for n in body["results"]] == ["n2", "n3"]
