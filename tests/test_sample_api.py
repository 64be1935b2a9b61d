"""End-to-end tests of sample_project's DRF API, served by a real gunicorn with our worker.

Like tests/test_sample_project.py (whose helpers this reuses), one gunicorn subprocess serves
the module on a socket bound here, with a temporary SQLite database prepared by ``manage.py``.
The checks go through DRF's real router, authentication, CSRF, permissions and renderers.
"""
from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.test_sample_project import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    GRACEFUL_TIMEOUT,
    SAMPLE_DIR,
    WORKER_CLASS,
    WSGI_APP,
    _csrf_token,
    _manage,
    _sample_env,
    _stop,
    _wait_ready,
)

SHOWN_TOKEN = re.compile(r"Authorization: Token ([\w-]+)")
CREATE_BOB = (
    "from django.contrib.auth.models import User\n"
    "from rest_framework.authtoken.models import Token\n"
    "user = User.objects.create_user('bob', password='Bob-sample-pass-73')\n"
    "print('TOKEN', Token.objects.create(user=user).key)\n"
)


@dataclass(frozen=True)
class SampleServer:
    """The running sample project's base URL and a second, non-staff user's API token."""

    base_url: str
    bob_token: str


def _bob_token(env: dict[str, str]) -> str:
    """Create the non-staff user ``bob`` with ``manage.py shell`` and return his new token."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", CREATE_BOB],
        cwd=SAMPLE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    tokens = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("TOKEN ")]
    assert result.returncode == 0 and tokens, f"{result.stdout}\n{result.stderr}"
    return tokens[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleServer]:
    """Migrate, collectstatic, add bob, and serve sample_project with gunicorn."""
    tmp = tmp_path_factory.mktemp("sample_api")
    env = _sample_env(tmp)
    _manage(env, "migrate", "--noinput")
    _manage(env, "collectstatic", "--noinput", "-v", "0")
    bob_token = _bob_token(env)
    log_path = tmp / "gunicorn.log"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port, fd = listener.getsockname()[1], listener.fileno()
        command = [
            sys.executable, "-m", "gunicorn", WSGI_APP, "-k", WORKER_CLASS, "--bind", f"fd://{fd}",
            "--workers", "1", "--no-control-socket", "--graceful-timeout", str(GRACEFUL_TIMEOUT),
        ]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, cwd=SAMPLE_DIR, env=env, pass_fds=(fd,), stdout=log, stderr=log
            )
    try:
        _wait_ready(process, port, log_path)
        yield SampleServer(f"http://127.0.0.1:{port}", bob_token)
    finally:
        _stop(process, log_path)


@pytest.fixture
async def client(server: SampleServer) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp client with its own cookie jar (unsafe=True keeps cookies for an IP host)."""
    async with aiohttp.ClientSession(
        base_url=server.base_url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


@pytest.fixture
async def admin(client: aiohttp.ClientSession) -> dict[str, str]:
    """Token headers for the demo admin, with the token read from the index page."""
    async with client.get("/") as response:
        match = SHOWN_TOKEN.search(await response.text())
    assert match, "the index page shows no demo token"
    return {"Authorization": f"Token {match.group(1)}"}


@pytest.fixture
def bob(server: SampleServer) -> dict[str, str]:
    return {"Authorization": f"Token {server.bob_token}"}


async def _call(
    client: aiohttp.ClientSession, method: str, path: str, status: int, **kwargs: Any
) -> Any:
    """Send one request, assert its status, and return its JSON body (None when empty)."""
    async with client.request(method, path, **kwargs) as response:
        body = await response.text()
        assert response.status == status, body
        return await response.json() if body else None


async def _create(client: aiohttp.ClientSession, headers: dict[str, str], title: str) -> Any:
    return await _call(client, "POST", "/api/notes/", 201, headers=headers, json={"title": title})


async def test_index_links_the_api_and_shows_the_demo_token(
    client: aiohttp.ClientSession, admin: dict[str, str]
) -> None:
    async with client.get("/") as response:
        html = await response.text()
    for link in ("/api/", "/api/notes/", "/api/notes/mine/", "/api/stats/", "/api/schema/",
                 "/api-auth/login/?next=/api/notes/"):
        assert f'href="{link}"' in html, link
    assert f"<code>{admin['Authorization'].split()[1]}</code>" in html
    assert "This token is for the demo only" in html


async def test_anonymous_clients_read_but_cannot_write(
    client: aiohttp.ClientSession, admin: dict[str, str], server: SampleServer
) -> None:
    note = await _create(client, admin, "readable by anyone")
    root = await _call(client, "GET", "/api/", 200)
    assert root == {"notes": f"{server.base_url}/api/notes/"}
    listed = await _call(client, "GET", "/api/notes/?search=readable", 200)
    assert listed["count"] >= 1 and note in listed["results"]
    assert await _call(client, "GET", f"/api/notes/{note['id']}/", 200) == note
    async with client.post("/api/notes/", json={"title": "nope"}) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Token"
    await _call(client, "PATCH", f"/api/notes/{note['id']}/", 401, json={"title": "nope"})
    await _call(client, "DELETE", f"/api/notes/{note['id']}/", 401)
    await _call(client, "GET", "/api/notes/mine/", 401)


async def test_token_auth_creates_updates_and_deletes(
    client: aiohttp.ClientSession, admin: dict[str, str]
) -> None:
    async with client.post("/api/notes/", headers=admin, json={"title": "t", "body": "b"}) as r:
        assert r.status == 201
        note = await r.json()
        assert r.headers["Location"] == note["url"]
    assert note["owner"] == DEMO_USERNAME and note["body"] == "b"
    path = f"/api/notes/{note['id']}/"
    put = {"title": "put", "body": "whole"}
    assert (await _call(client, "PUT", path, 200, headers=admin, json=put))["body"] == "whole"
    patched = await _call(client, "PATCH", path, 200, headers=admin, json={"title": "patched"})
    assert (patched["title"], patched["body"], patched["owner"]) == ("patched", "whole", "admin")
    mine = await _call(client, "GET", "/api/notes/mine/", 200, headers=admin)
    assert patched in mine["results"]
    invalid = await _call(client, "POST", "/api/notes/", 400, headers=admin, json={"body": "x"})
    assert "title" in invalid
    await _call(client, "DELETE", path, 204, headers=admin)
    await _call(client, "GET", path, 404, headers=admin)
    bad = {"Authorization": "Token not-a-real-token"}
    assert (await _call(client, "GET", "/api/notes/", 401, headers=bad)) == {
        "detail": "Invalid token."
    }


async def test_only_the_owner_may_change_a_note(
    client: aiohttp.ClientSession, admin: dict[str, str], bob: dict[str, str]
) -> None:
    admins = await _create(client, admin, "admin's")
    path = f"/api/notes/{admins['id']}/"
    assert await _call(client, "GET", path, 200, headers=bob) == admins
    refused = await _call(client, "PATCH", path, 403, headers=bob, json={"title": "mine now"})
    assert refused == {"detail": "Only the note's owner may change or delete it."}
    await _call(client, "DELETE", path, 403, headers=bob)
    bobs = await _create(client, bob, "bob's")
    assert bobs["owner"] == "bob"
    await _call(client, "DELETE", f"/api/notes/{bobs['id']}/", 403, headers=admin)
    mine = await _call(client, "GET", "/api/notes/mine/", 200, headers=bob)
    assert {note["owner"] for note in mine["results"]} == {"bob"}
    assert (await _call(client, "GET", path, 200))["title"] == "admin's"


async def test_session_auth_enforces_csrf_on_writes(client: aiohttp.ClientSession) -> None:
    token, login_path = await _csrf_token(client, "/admin/login/?next=/admin/")
    form = {"csrfmiddlewaretoken": token, "username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    async with client.post(login_path, data=form) as response:
        assert response.status == 200 and response.url.path == "/admin/"
    mine = await _call(client, "GET", "/api/notes/mine/", 200)
    assert all(note["owner"] == DEMO_USERNAME for note in mine["results"])
    refused = await _call(client, "POST", "/api/notes/", 403, json={"title": "no csrf"})
    assert refused["detail"].startswith("CSRF Failed")
    csrf = {"X-CSRFToken": next(c.value for c in client.cookie_jar if c.key == "csrftoken")}
    note = await _call(client, "POST", "/api/notes/", 201, headers=csrf, json={"title": "csrf"})
    assert note["owner"] == DEMO_USERNAME
    await _call(client, "DELETE", f"/api/notes/{note['id']}/", 403)
    await _call(client, "DELETE", f"/api/notes/{note['id']}/", 204, headers=csrf)


async def test_stats_api_view_awaits_orm_and_upstream_together(
    client: aiohttp.ClientSession, admin: dict[str, str]
) -> None:
    await _create(client, admin, "counted")
    anonymous = await _call(client, "GET", "/api/stats/?ms=300", 200)
    assert anonymous["notes"] >= 1 and anonymous["users"] >= 2
    assert (anonymous["user"], anonymous["own_notes"]) == (None, None)
    assert anonymous["upstream"]["status"] == 200
    assert anonymous["upstream"]["body"] == {"view": "slow", "slept_ms": 300}
    assert 0.3 <= anonymous["elapsed"] < 0.6, anonymous
    signed_in = await _call(client, "GET", "/api/stats/?ms=0", 200, headers=admin)
    assert signed_in["user"] == DEMO_USERNAME and signed_in["own_notes"] >= 1
    await _call(client, "POST", "/api/stats/", 405, headers=admin)


async def _html(client: aiohttp.ClientSession, path: str, headers: dict[str, str]) -> str:
    async with client.get(path, headers={**headers, "Accept": "text/html"}) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        return await response.text()


async def test_browsable_api_renders(
    client: aiohttp.ClientSession, admin: dict[str, str], bob: dict[str, str]
) -> None:
    note = await _create(client, admin, "shown in HTML")
    for path in ("/api/", "/api/notes/", f"/api/notes/{note['id']}/", "/api/stats/"):
        assert "Django REST framework" in await _html(client, path, {}), path
    owner_view = await _html(client, f"/api/notes/{note['id']}/", admin)
    assert "shown in HTML" in owner_view
    assert 'data-method="DELETE"' in owner_view and 'data-method="PUT"' in owner_view
    other_view = await _html(client, f"/api/notes/{note['id']}/", bob)
    assert 'data-method="DELETE"' not in other_view and 'data-method="PUT"' not in other_view
    async with client.get("/static/rest_framework/css/bootstrap.min.css") as response:
        assert response.status == 200 and response.content_type == "text/css"
    assert 'name="csrfmiddlewaretoken"' in await _html(client, "/api-auth/login/", {})


async def test_options_metadata_and_openapi_schema(
    client: aiohttp.ClientSession, admin: dict[str, str], bob: dict[str, str]
) -> None:
    signed_in = await _call(client, "OPTIONS", "/api/notes/", 200, headers=admin)
    title = signed_in["actions"]["POST"]["title"]
    assert (title["required"], title["max_length"]) == (True, 100)
    assert signed_in["actions"]["POST"]["owner"]["read_only"] is True
    assert "actions" not in await _call(client, "OPTIONS", "/api/notes/", 200)
    note = await _create(client, admin, "options")
    detail = f"/api/notes/{note['id']}/"
    assert "PUT" in (await _call(client, "OPTIONS", detail, 200, headers=admin))["actions"]
    assert "actions" not in await _call(client, "OPTIONS", detail, 200, headers=bob)
    async with client.get("/api/schema/", headers=admin) as response:
        assert response.status == 200
        assert response.content_type == "application/vnd.oai.openapi+json"
        paths = (await response.json())["paths"]
    assert {"/api/notes/", "/api/notes/{id}/", "/api/notes/mine/", "/api/stats/"} <= set(paths)
    operations = {op["operationId"] for path in paths.values() for op in path.values()}
    assert {"listNotes", "createNote", "retrieveNote", "updateNote", "partialUpdateNote",
            "destroyNote", "mineNote"} <= operations
    anonymous = await _call(client, "GET", "/api/schema/", 200)
    assert "/api/notes/" in anonymous["paths"] and "/api/notes/mine/" not in anonymous["paths"]


# DRF's browsable API template: the view's description follows the page's <h1>.
DESCRIPTION = re.compile(r'</h1>\s*</div>\s*<div class="pull-left">(.*?)</div>', re.S)


async def test_browsable_api_descriptions_read_as_prose(
    client: aiohttp.ClientSession, admin: dict[str, str]
) -> None:
    """Docstrings show as paragraphs with ``literals`` as <code>, not raw double backticks."""
    note = await _create(client, admin, "described")
    expected = {
        "/api/notes/": "<code>?search=</code>",
        f"/api/notes/{note['id']}/": "<code>?search=</code>",
        "/api/notes/mine/": "<p>The signed-in user&#x27;s own notes",
        "/api/stats/": "<code>/slow/?ms=</code>",
        "/api/": "<p>",
    }
    for path, shown in expected.items():
        page = await _html(client, path, admin)
        assert "``" not in page, path
        match = DESCRIPTION.search(page)
        assert match, path
        description = match.group(1)
        assert shown in description and "<br" not in description, (path, description)
    assert "<h1>My notes</h1>" in await _html(client, "/api/notes/mine/", admin)
    options = await _call(client, "OPTIONS", "/api/stats/", 200)
    assert "``/slow/?ms=``" in options["description"]  # plain text stays DRF's own


async def test_admin_lists_and_adds_notes(
    client: aiohttp.ClientSession, admin: dict[str, str]
) -> None:
    """Notes are registered in the admin: listed, searchable, and added through its form."""
    await _create(client, admin, "seen in the admin")
    token, login_path = await _csrf_token(client, "/admin/login/?next=/admin/")
    form = {"csrfmiddlewaretoken": token, "username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    async with client.post(login_path, data=form) as response:
        assert response.status == 200 and response.url.path == "/admin/"
        assert 'href="/admin/api/note/"' in await response.text()
    async with client.get("/admin/api/note/?q=seen+in+the") as response:
        assert response.status == 200
        assert "seen in the admin" in await response.text()
    token, add_path = await _csrf_token(client, "/admin/api/note/add/")
    async with client.get(add_path) as response:
        owner = re.search(r'<option value="(\d+)">admin</option>', await response.text())
    assert owner, "the add form offers no owner"
    new_note = {"csrfmiddlewaretoken": token, "title": "added in the admin", "body": "",
                "owner": owner.group(1), "_save": "Save"}
    async with client.post(add_path, data=new_note) as response:
        assert response.status == 200 and response.url.path == "/admin/api/note/"
        assert "was added successfully" in await response.text()
    listed = await _call(client, "GET", "/api/notes/?search=added+in+the+admin", 200)
    assert [n["owner"] for n in listed["results"]] == [DEMO_USERNAME]
