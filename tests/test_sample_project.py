"""End-to-end tests of sample_project: the real project under a real gunicorn with our worker.

One gunicorn subprocess serves the module, on a socket bound here and passed as ``fd://N``,
with a temporary SQLite database and STATIC_ROOT prepared by ``manage.py`` like ``make run``.
"""
from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from html import unescape
from pathlib import Path

import aiohttp
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = REPO_ROOT / "sample_project"
WORKER_CLASS = "async_handler.worker.AiohttpWorker"
WSGI_APP = "sample_project.wsgi"
DEMO_USERNAME = "admin"
DEMO_PASSWORD = "async-demo"
READY_TIMEOUT = 60.0
GRACEFUL_TIMEOUT = 10
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _sample_env(tmp: Path) -> dict[str, str]:
    """Environment for manage.py and gunicorn: the sample's settings, a temp db and STATIC_ROOT."""
    env = {key: value for key, value in os.environ.items() if key != "GUNICORN_CMD_ARGS"}
    env.update(
        DJANGO_SETTINGS_MODULE="sample_project.settings",
        DJANGO_DEBUG="0",
        SAMPLE_PROJECT_DB=str(tmp / "db.sqlite3"),
        SAMPLE_PROJECT_STATIC_ROOT=str(tmp / "staticfiles"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    """Run a sample_project management command and fail the test with its output if it fails."""
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(
        command, cwd=SAMPLE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def _wait_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Poll a cheap async view until it answers 200, failing early if gunicorn exits."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2.0)
        try:
            connection.request("GET", "/slow/?ms=0")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    pytest.fail(f"gunicorn not ready after {READY_TIMEOUT} s:\n{log_path.read_text()}")


def _stop(process: subprocess.Popen[bytes], log_path: Path) -> None:
    """SIGTERM gunicorn; fail unless the worker exits by itself, promptly, with no traceback."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=GRACEFUL_TIMEOUT + 20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"gunicorn ignored SIGTERM:\n{log_path.read_text()}")
    took, log = time.monotonic() - started, log_path.read_text()
    assert process.returncode == 0, log
    assert "Worker exiting" in log, log
    assert took < GRACEFUL_TIMEOUT, f"SIGTERM took {took:.1f} s:\n{log}"
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate, collectstatic, and serve sample_project with gunicorn; yield its base URL."""
    tmp = tmp_path_factory.mktemp("sample_project")
    env = _sample_env(tmp)
    _manage(env, "migrate", "--noinput")
    _manage(env, "collectstatic", "--noinput", "-v", "0")
    log_path = tmp / "gunicorn.log"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        fd = listener.fileno()
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
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process, log_path)


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp client with its own cookie jar (unsafe=True keeps cookies for an IP host)."""
    async with aiohttp.ClientSession(
        base_url=base_url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:
        yield session


async def _csrf_token(client: aiohttp.ClientSession, path: str) -> tuple[str, str]:
    """GET a page with a form; return its csrfmiddlewaretoken and the final URL's path."""
    async with client.get(path) as response:
        assert response.status == 200
        html = await response.text()
        final_path = response.url.path_qs
    match = CSRF_FIELD.search(html)
    assert match, html
    assert any(cookie.key == "csrftoken" for cookie in client.cookie_jar)
    return match.group(1), final_path


async def test_index_links_every_demo(client: aiohttp.ClientSession) -> None:
    async with client.get("/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        html = await response.text()
    for link in (
        "/sync/", "/async/", "/slow/?ms=300", "/fanout/", "/stream/async/", "/stream/sync/",
        "/admin/", "/static/demo/site.css", "/chat/lobby/",
    ):
        assert f'href="{link}' in html, link
    assert '<link rel="stylesheet" href="/static/demo/site.css">' in html
    assert DEMO_USERNAME in html and DEMO_PASSWORD in html
    assert "demo only" in html


async def test_sync_view_runs_in_thread_pool(client: aiohttp.ClientSession) -> None:
    async with client.get("/sync/") as response:
        assert response.status == 200
        data = await response.json()
    assert data["view"] == "sync"
    assert data["users"] >= 1
    assert data["thread"] != "MainThread"


async def test_async_view_uses_async_orm(client: aiohttp.ClientSession) -> None:
    async with client.get("/async/") as response:
        assert response.status == 200
        data = await response.json()
    assert data["view"] == "async"
    assert data["users"] >= 1


async def test_fanout_calls_run_concurrently(client: aiohttp.ClientSession) -> None:
    async with client.get("/fanout/?ms=300") as response:
        assert response.status == 200
        data = await response.json()
    assert len(data["calls"]) == 3
    for call in data["calls"]:
        assert call["status"] == 200
        assert call["body"] == {"view": "slow", "slept_ms": 300}
    assert data["sequential_would_take"] == 0.9
    assert 0.3 <= data["elapsed"] < 0.6, data


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_stream_arrives_chunk_by_chunk(client: aiohttp.ClientSession, kind: str) -> None:
    async with client.get(f"/stream/{kind}/?chunks=3&ms=400") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "Content-Length" not in response.headers
        first = await response.content.readline()
        first_at = time.monotonic()
        rest = await response.content.read()
        done_at = time.monotonic()
    assert first.startswith(f"{kind} chunk 1/3 ".encode())
    lines = rest.decode().splitlines()
    assert [line.split(" at ")[0] for line in lines] == [f"{kind} chunk 2/3", f"{kind} chunk 3/3"]
    assert done_at - first_at >= 0.6, "the first chunk waited for the whole stream"


@pytest.mark.parametrize(
    ("path", "marker"),
    [("/static/demo/site.css", "--accent"), ("/static/admin/css/base.css", "body")],
)
async def test_static_files_are_served(
    client: aiohttp.ClientSession, path: str, marker: str
) -> None:
    async with client.get(path) as response:
        assert response.status == 200
        assert response.content_type == "text/css"
        assert marker in await response.text()


async def test_post_without_csrf_token_is_refused(client: aiohttp.ClientSession) -> None:
    async with client.post("/admin/login/", data={"username": "x", "password": "y"}) as response:
        assert response.status == 403


async def test_admin_login_and_add_user(client: aiohttp.ClientSession) -> None:
    token, login_path = await _csrf_token(client, "/admin/")
    assert login_path == "/admin/login/?next=/admin/"
    form = {
        "csrfmiddlewaretoken": token,
        "username": DEMO_USERNAME,
        "password": DEMO_PASSWORD,
        "next": "/admin/",
    }
    async with client.post(login_path, data=form) as response:
        assert response.status == 200
        assert response.url.path == "/admin/"
        assert response.history[0].status == 302
        html = await response.text()
    assert "Site administration" in html
    assert "/static/admin/css/base.css" in html
    assert f"<strong>{DEMO_USERNAME}</strong>" in html
    assert any(cookie.key == "sessionid" for cookie in client.cookie_jar)

    token, add_path = await _csrf_token(client, "/admin/auth/user/add/")
    new_user = {
        "csrfmiddlewaretoken": token,
        "username": "added-by-test",
        "usable_password": "true",
        "password1": "Zq8-sample-pass-51",
        "password2": "Zq8-sample-pass-51",
        "_save": "Save",
    }
    async with client.post(add_path, data=new_user) as response:
        assert response.status == 200
        assert response.url.path.endswith("/change/")
        html = await response.text()
    assert "was added successfully" in html
    async with client.get(response.url.path_qs) as again:
        assert "was added successfully" not in await again.text()


async def test_message_shows_once_after_redirect(client: aiohttp.ClientSession) -> None:
    token, _ = await _csrf_token(client, "/")
    async with client.post("/messages/", data={"csrfmiddlewaretoken": token}) as response:
        assert response.status == 200
        assert [r.status for r in response.history] == [302]
        assert response.url.path == "/"
        assert "shows exactly once" in await response.text()
    async with client.get("/") as response:
        assert "shows exactly once" not in await response.text()


async def test_favicon_is_served(client: aiohttp.ClientSession) -> None:
    """Browsers ask every page's origin for /favicon.ico; the demo pages also link the icon."""
    async with client.get("/") as response:
        html = await response.text()
    assert '<link rel="icon" href="/static/demo/favicon.ico">' in html
    for path in ("/favicon.ico", "/static/demo/favicon.ico"):
        async with client.get(path, allow_redirects=False) as response:
            assert response.status == 200, path
            assert response.content_type in {"image/x-icon", "image/vnd.microsoft.icon"}
            assert (await response.read()).startswith(b"\x00\x00\x01\x00")  # an ICO header


COMMAND = re.compile(r'<pre class="command"><code>(.*?)</code></pre>', re.S)
MAX_COMMAND_LINE = 80  # fits the page's card at 1280 px, and a terminal


async def test_curl_example_is_whole_and_works(
    client: aiohttp.ClientSession, base_url: str
) -> None:
    """The index page's curl command has short lines and, replayed, creates a note."""
    async with client.get("/") as response:
        match = COMMAND.search(await response.text())
    assert match, "no curl example on the index page"
    command = unescape(match.group(1))
    assert max(len(line) for line in command.splitlines()) <= MAX_COMMAND_LINE, command
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl" and words[-1] == f"{base_url}/api/notes/", words
    pairs = list(zip(words[1:-1:2], words[2:-1:2], strict=True))
    assert [flag for flag, _ in pairs] == ["-H", "-H", "-d"], words
    headers = dict(value.split(": ", 1) for flag, value in pairs if flag == "-H")
    async with client.post(words[-1], headers=headers, data=pairs[-1][1]) as response:
        assert response.status == 201, await response.text()
        note = await response.json()
    assert (note["title"], note["body"], note["owner"]) == ("Hello", "from curl", DEMO_USERNAME)
    async with client.delete(note["url"], headers=headers) as response:
        assert response.status == 204


CSS_RULE = r"{selector}\s*\{{([^}}]*)\}}"
MIN_CONTRAST = 4.5  # WCAG AA for normal text


def _css_declarations(css: str, selector: str) -> dict[str, str]:
    """The declarations of the one rule for ``selector`` (exactly as written) in ``css``."""
    rules = re.findall(CSS_RULE.format(selector=re.escape(selector)), css)
    assert len(rules) == 1, f"{selector}: {rules}"
    pairs = (item.split(":", 1) for item in rules[0].split(";") if item.strip())
    return {name.strip(): value.strip() for name, value in pairs}


def _rgba(value: str, variables: dict[str, str]) -> tuple[float, float, float, float]:
    """A CSS colour as written in site.css: #rgb, #rrggbb, rgba(...) or var(--name)."""
    value = value.strip()
    if value.startswith("var("):
        return _rgba(variables[value[4:-1].strip()], variables)
    if value.startswith("#"):
        digits = value[1:] if len(value) == 7 else "".join(c * 2 for c in value[1:])
        return (*(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)
    parts = [float(p) for p in value[value.index("(") + 1:-1].split(",")]
    return parts[0] / 255, parts[1] / 255, parts[2] / 255, parts[3] if len(parts) > 3 else 1.0


def _over(top: tuple[float, ...], below: tuple[float, ...]) -> tuple[float, float, float, float]:
    alpha = top[3]
    r, g, b = (alpha * top[i] + (1 - alpha) * below[i] for i in range(3))
    return r, g, b, 1.0


def _luminance(colour: tuple[float, ...]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


async def test_header_code_labels_are_readable(client: aiohttp.ClientSession) -> None:
    """The header's <code> labels have WCAG AA contrast against what is behind them."""
    async with client.get("/") as response:
        header = (await response.text()).split('<header class="site-header">')[1]
    assert "<code>async def</code>" in header.split("</header>")[0]
    async with client.get("/static/demo/site.css") as response:
        css = await response.text()
    variables = dict(re.findall(r"(--[\w-]+):\s*([^;]+);", css))
    header_bg = _rgba(_css_declarations(css, ".site-header")["background"], variables)
    code = _css_declarations(css, ".site-header code")
    background = _over(_rgba(code["background"], variables), header_bg)
    text = _over(_rgba(code["color"], variables), background)
    lighter, darker = sorted((_luminance(text), _luminance(background)), reverse=True)
    ratio = (lighter + 0.05) / (darker + 0.05)
    assert ratio >= MIN_CONTRAST, f"contrast {ratio:.2f}:1"


async def login(client: aiohttp.ClientSession, next_path: str) -> aiohttp.ClientResponse:
    token, login_path = await _csrf_token(client, "/admin/login/")
    form = {"csrfmiddlewaretoken": token, "username": DEMO_USERNAME,
            "password": DEMO_PASSWORD, "next": next_path}
    async with client.post(login_path, data=form) as response:
        await response.read()
        return response


async def chat_across_workers(base_url: str) -> set[int]:
    """Log in, open chat sockets until two workers serve them, and check that a message
    reaches every one of them; return the workers seen."""
    async with aiohttp.ClientSession(base_url=base_url,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        await login(client, "/chat/lobby/")
        sockets, workers = [], set()
        try:
            while len(workers) < 2 and len(sockets) < 30:
                ws = await client.ws_connect("/ws/chat/lobby/")
                joined = await ws.receive_json()
                workers.add(joined["worker"])
                for other in sockets:  # each sees the newcomer join, whatever its worker
                    assert (await other.receive_json())["kind"] == "joined"
                sockets.append(ws)
            await sockets[-1].send_str("to every worker")
            for ws in sockets:
                assert (await ws.receive_json())["text"] == "to every worker"
        finally:
            for ws in sockets:
                await ws.close()
        return workers


async def test_chat_room_broadcasts_with_the_session_user_name(
        client: aiohttp.ClientSession) -> None:
    """Not logged in, the page and its socket send you to the login page; logged in, two
    sockets in a room each get every message, signed with the login session's user."""
    async with client.get("/chat/lobby/", allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"].startswith("/admin/login/")
    with pytest.raises(aiohttp.WSServerHandshakeError):
        async with client.ws_connect("/ws/chat/lobby/"):
            pass
    response = await login(client, "/chat/lobby/")
    assert response.url.path == "/chat/lobby/"
    async with client.ws_connect("/ws/chat/lobby/") as first:
        joined = await first.receive_json()
        assert (joined["kind"], joined["user"]) == ("joined", DEMO_USERNAME)
        async with client.ws_connect("/ws/chat/lobby/") as second:
            for ws in (first, second):
                assert (await ws.receive_json())["kind"] == "joined"
            await second.send_str("hello room")
            for ws in (first, second):
                got = await ws.receive_json()
                assert (got["kind"], got["user"], got["text"]) == (
                    "message", DEMO_USERNAME, "hello room")
        assert (await first.receive_json())["kind"] == "left"
