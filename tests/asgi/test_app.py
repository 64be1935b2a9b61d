"""The ASGI application in process: lifespan, META as Django's, refusals, files, disconnects."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.test import override_settings

from async_handler import client, get_asgi_application
from async_handler.asgi import ASGIApplication
from tests import hooks, views
from tests.asgi.driver import Call, http_scope, request


async def test_hello_sync_and_async(asgi_app: ASGIApplication) -> None:
    for path, body in (("/sync/", b"hello sync"), ("/async/", b"hello async")):
        call = await request(asgi_app, http_scope(path))
        assert (call.status, call.body) == (200, body)
        # The whole middleware chain ran: SecurityMiddleware and XFrameOptionsMiddleware.
        assert call.headers[b"x-frame-options"] == b"DENY"
        assert call.headers[b"x-content-type-options"] == b"nosniff"


def test_get_asgi_application_is_asgi3() -> None:
    app = get_asgi_application()
    assert isinstance(app, ASGIApplication) and asyncio.iscoroutinefunction(app.__call__)


@override_settings(ASYNC_HANDLER={"STARTUP": ["tests.hooks.on_startup"],
                                  "SHUTDOWN": ["tests.hooks.on_shutdown"]})
async def test_lifespan_runs_hooks_and_opens_the_session() -> None:
    hooks.CALLS.clear()
    app = ASGIApplication()
    call = Call(app, {"type": "lifespan", "asgi": {"version": "3.0"}})
    call.put({"type": "lifespan.startup"})
    while not call.sent:
        await asyncio.sleep(0.01)
    assert call.sent == [{"type": "lifespan.startup.complete"}]
    assert [name for name, _ in hooks.CALLS] == ["startup"]
    assert app.core.pool is not None and not client.session().closed
    shared = client.session()
    call.put({"type": "lifespan.shutdown"})
    await call.done()
    assert call.sent[-1] == {"type": "lifespan.shutdown.complete"}
    assert [name for name, _ in hooks.CALLS] == ["startup", "shutdown"]
    assert shared.closed and app.core.pool is None
    stopped = await request(app, http_scope("/async/"))
    assert stopped.status == 503


@override_settings(ASYNC_HANDLER={"STARTUP": ["tests.hooks.missing"]})
async def test_failed_startup_is_reported_to_the_server() -> None:
    app = ASGIApplication()
    call = Call(app, {"type": "lifespan", "asgi": {"version": "3.0"}})
    call.put({"type": "lifespan.startup"})
    await call.done()
    assert call.sent[0]["type"] == "lifespan.startup.failed"
    await app.shutdown()


@override_settings(ASYNC_HANDLER={"STARTUP": ["tests.hooks.on_startup"]})
async def test_without_lifespan_the_first_request_starts_pool_and_session() -> None:
    hooks.CALLS.clear()
    app = ASGIApplication()
    assert app.core.pool is None
    try:
        calls = await asyncio.gather(*(request(app, http_scope("/sync/")) for _ in range(5)))
        assert [c.status for c in calls] == [200] * 5
        assert [name for name, _ in hooks.CALLS] == ["startup"]  # once, not per request
        assert app.core.pool is not None and not client.session().closed
    finally:
        await app.shutdown()


SCOPES = [
    http_scope("/meta/"),
    http_scope("/meta/", query=b"a=1&a=2&b=%C3%A9", headers=[
        (b"host", b"example.com:8080"), (b"cookie", b"a=1"), (b"x-custom", b"one"),
        (b"x-custom", b"two"), (b"content-type", b"text/plain; charset=latin-1"),
        (b"x_forwarded_for", b"spoofed"), (b"content-length", b"0")]),
    http_scope("/meta/", root_path="/mounted"),
    http_scope("/méta/ü/", raw_path=b"/m%C3%A9ta/%C3%BC/"),
    http_scope("/meta/", client=None, server=None, scheme="https",
               headers=[(b"host", b"secure.example")]),
]


@pytest.mark.parametrize("scope", SCOPES, ids=range(len(SCOPES)))
async def test_meta_is_what_djangos_asgi_handler_builds(
        asgi_app: ASGIApplication, scope: dict[str, Any]) -> None:
    """Differential: the same scope through Django's ASGIHandler and through ours."""
    keys = ["REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT",
            "CONTENT_TYPE", "CONTENT_LENGTH", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
            "REQUEST_METHOD", "wsgi.multithread", "wsgi.multiprocess"]
    scope = dict(scope, query_string=scope["query_string"] + b"&" + b"&".join(
        b"k=" + k.encode() for k in keys))
    django_call = await request(ASGIHandler(), dict(scope))
    ours = await request(asgi_app, dict(scope))
    assert django_call.status == ours.status == 200, (django_call.body, ours.body)
    theirs, mine = json.loads(django_call.body), json.loads(ours.body)
    assert mine == theirs
    if scope["root_path"]:
        assert mine["meta"]["SCRIPT_NAME"] == "/mounted" and mine["path_info"] == "/meta/"


async def test_content_length_mismatch_is_400_with_a_log_line(
        asgi_app: ASGIApplication, caplog: pytest.LogCaptureFixture) -> None:
    for declared, sent in ((b"10", b"12345"), (b"3", b"12345"), (b"abc", b"")):
        scope = http_scope("/body/", method="POST", headers=[
            (b"host", b"t"), (b"content-length", declared),
            (b"content-type", b"application/octet-stream")])
        with caplog.at_level(logging.WARNING, "async_handler"):
            call = await request(asgi_app, scope, sent)
        assert call.status == 400, call.body
        assert b"Content-Length" in call.body
    assert sum("Bad request from 127.0.0.1" in r.getMessage() for r in caplog.records) == 3


async def test_non_utf8_path_is_400_with_a_log_line(
        asgi_app: ASGIApplication, caplog: pytest.LogCaptureFixture) -> None:
    scope = http_scope("/m\ufffd/", raw_path=b"/m%FF/")
    with caplog.at_level(logging.WARNING, "async_handler"):
        call = await request(asgi_app, scope)
    assert call.status == 400 and b"not UTF-8" in call.body
    assert any("not UTF-8" in r.getMessage() for r in caplog.records)


@override_settings(ASYNC_HANDLER={"MAX_BODY_SIZE": 100_000})
async def test_body_over_the_cap_is_413_while_it_streams(
        caplog: pytest.LogCaptureFixture) -> None:
    app = ASGIApplication()
    await app.startup()
    try:
        scope = http_scope("/upload/", method="POST", headers=[
            (b"host", b"t"), (b"content-type", b"multipart/form-data; boundary=x")])
        call = Call(app, scope)
        for _ in range(50):  # 50 x 10 kB offered; more_body never ends
            call.put({"type": "http.request", "body": b"x" * 10_000, "more_body": True})
        with caplog.at_level(logging.WARNING, "async_handler"):
            await call.done()
        assert call.status == 413
        assert call.received == 11  # stopped reading at the first chunk past the cap
        assert any("413" in r.getMessage() for r in caplog.records)
        declared = await request(app, dict(scope, headers=[*scope["headers"],
                                                          (b"content-length", b"200000")]))
        assert declared.status == 413
    finally:
        await app.shutdown()


async def test_request_started_and_finished_are_sent(asgi_app: ASGIApplication) -> None:
    seen: list[tuple[str, Any]] = []

    def started(sender: Any, **kwargs: Any) -> None:
        seen.append(("started", kwargs.get("scope")))

    def finished(sender: Any, **kwargs: Any) -> None:
        seen.append(("finished", None))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        scope = http_scope("/async/")
        await request(asgi_app, scope)
        for _ in range(100):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.02)
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert seen == [("started", scope), ("finished", None)]


async def test_sync_and_async_iterators_stream_chunk_by_chunk(asgi_app: ASGIApplication) -> None:
    for path in ("/stream-sync/?n=3&d=0", "/stream-async/?n=3&d=0"):
        scope = http_scope(path.split("?")[0], query=path.split("?")[1].encode())
        call = await request(asgi_app, scope)
        bodies = [m["body"] for m in call.sent if m["type"] == "http.response.body"]
        assert bodies[:3] == [b"chunk0\n", b"chunk1\n", b"chunk2\n"]
        assert all(m.get("more_body") for m in call.sent[1:4])


async def test_files_go_by_zerocopysend_when_the_server_offers_it(
        asgi_app: ASGIApplication) -> None:
    expected = bytes(range(256)) * 12_288
    scope = http_scope("/pattern-file/", query=b"skip=1000",
                       extensions={"http.response.zerocopysend": {}})
    call = await request(asgi_app, scope)
    zerocopy = [m for m in call.sent if m["type"] == "http.response.zerocopysend"]
    assert len(zerocopy) == 1 and zerocopy[0]["count"] == len(expected) - 1000
    # The file object itself is handed over (it is closed once the response is done).
    assert zerocopy[0]["offset"] == 1000 and hasattr(zerocopy[0]["file"], "fileno")
    plain = await request(asgi_app, http_scope("/pattern-file/", query=b"skip=1000"))
    assert plain.body == expected[1000:]
    assert max(len(m.get("body", b"")) for m in plain.sent[1:]) <= 256 * 1024


async def test_disconnect_cancels_the_view(asgi_app: ASGIApplication) -> None:
    views.STATE.pop("cancelled", None)
    views.STATE.pop("cancellable_started", None)
    call = Call(asgi_app, http_scope("/cancellable/"))
    call.put({"type": "http.request", "body": b"", "more_body": False})
    while not views.STATE.get("cancellable_started"):
        await asyncio.sleep(0.01)
    call.put({"type": "http.disconnect"})
    await call.done()
    assert views.STATE.get("cancelled") is True
    assert asgi_app.core.pool is not None and asgi_app.core.pool.busy == 0


async def test_a_request_that_never_waits_starts_no_disconnect_listener(
        asgi_app: ASGIApplication) -> None:
    """The listener starts on the loop's next turn; a hello view is done before it."""
    loop = asyncio.get_running_loop()
    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made.append(coro.__qualname__)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    try:
        for path in ("/async/", "/async-sleep/"):  # the second waits: it listens
            call = Call(asgi_app, http_scope(path, query=b"s=0.01"))
            call.put({"type": "http.request", "body": b"", "more_body": False})
            await call.done()
            assert call.status == 200
    finally:
        loop.set_task_factory(None)
    assert made.count("Receiver._listen") == 1, made


async def test_disconnect_during_the_body_leaves_quietly(asgi_app: ASGIApplication) -> None:
    call = Call(asgi_app, http_scope("/body/", method="POST"))
    call.put({"type": "http.request", "body": b"abc", "more_body": True})
    call.put({"type": "http.disconnect"})
    await call.done()
    assert call.sent == []


async def test_other_scopes_are_refused(asgi_app: ASGIApplication) -> None:
    with pytest.raises(ValueError, match="'webtransport'"):
        await asgi_app({"type": "webtransport"}, None, None)  # type: ignore[arg-type]
