"""System checks: each fires on its misconfiguration and stays quiet otherwise."""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core import checks
from django.test import override_settings

from async_handler import checks as our_checks


def _ids(**kwargs: object) -> list[str]:
    return [m.id or "" for m in checks.run_checks(tags=[our_checks.TAG], **kwargs)]


def test_clean_settings_pass() -> None:
    assert _ids() == []


@override_settings(ASYNC_HANDLER={"THREADZ": 4})
def test_unknown_setting() -> None:
    assert _ids() == ["async_handler.E001"]


@override_settings(ASYNC_HANDLER={"THREADS": 0})
def test_bad_thread_count() -> None:
    assert _ids() == ["async_handler.E002"]


@override_settings(ASYNC_HANDLER={"ADAPTIVE_THREADS": "no"})
def test_adaptive_threads_must_be_a_bool() -> None:
    assert _ids() == ["async_handler.E004"]


@override_settings(ASYNC_HANDLER={"THREAD_PER_REQUEST": 1})
def test_thread_per_request_must_be_a_bool() -> None:
    assert _ids() == ["async_handler.E005"]


@override_settings(ASYNC_HANDLER={"CLIENT_MAX_CONNECTIONS": -1})
def test_client_max_connections_must_be_a_count() -> None:
    assert _ids() == ["async_handler.E006"]


@pytest.mark.parametrize("value", [0, "8", True, None])
def test_channel_layer_concurrency_must_be_a_positive_count(value: object) -> None:
    with override_settings(ASYNC_HANDLER={"CHANNEL_LAYER_CONCURRENCY": value}):
        assert _ids() == ["async_handler.E007"]


def test_sync_middleware_wrapping_the_chain_is_named() -> None:
    wrapping = "tests.concurrency_views.wrapping_middleware"
    hooks = "tests.concurrency_views.UnknownSyncMiddleware"
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, hooks, wrapping,
                                       "tests.concurrency_views.DualMiddleware",
                                       "tests.middleware.async_only"]):
        found = [m for m in checks.run_checks(tags=[our_checks.TAG])
                 if m.id == "async_handler.W006"]
    assert len(found) == 1 and found[0].msg.startswith(wrapping)
    assert "parked" in found[0].msg and "DB connection" in found[0].msg


@contextlib.contextmanager
def _databases(**changes: object) -> Iterator[None]:
    databases = copy.deepcopy(settings.DATABASES)
    databases["default"].update(changes)
    override = override_settings(DATABASES=databases)
    # Django warns that overriding DATABASES may confuse live connections;
    # these checks read the setting only.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        override.enable()
    try:
        yield
    finally:
        override.disable()


def test_atomic_requests_with_async_views() -> None:
    with _databases(ATOMIC_REQUESTS=True):
        assert _ids() == ["async_handler.E003"]


@override_settings(WSGI_APPLICATION="tests.plain_wsgi.application")
def test_plain_wsgi_application_with_async_views() -> None:
    assert _ids() == ["async_handler.W001"]


@override_settings(WSGI_APPLICATION="tests.wsgi_app.application")
def test_async_wsgi_application_passes() -> None:
    assert _ids() == []


@override_settings(WSGI_APPLICATION="tests.plain_wsgi.application")
def test_plain_wsgi_application_is_no_warning_under_the_worker() -> None:
    """The worker serves a plain handler concurrently, so W001's claim would be false there."""
    try:
        assert [m.id for m in our_checks.run_worker_checks()] == []
    finally:
        our_checks.UNDER_WORKER, our_checks.WORKER_THREADS = False, None


@override_settings(WSGI_APPLICATION="tests.wrapped_wsgi.application")
def test_wrapped_wsgi_application() -> None:
    messages = checks.run_checks(tags=[our_checks.TAG])
    assert [m.id for m in messages] == ["async_handler.W005"]
    assert "tests.wrapped_wsgi.application" in messages[0].msg
    assert "refuses" in messages[0].msg and "middleware" in (messages[0].hint or "")


def test_threads_beyond_the_database_pool() -> None:
    with _databases(OPTIONS={"pool": {"max_size": 4}}):
        with override_settings(ASYNC_HANDLER={"THREADS": 8}):
            assert _ids() == ["async_handler.W002"]
        with override_settings(ASYNC_HANDLER={"THREADS": 4}):
            assert _ids() == []


def test_worker_threads_and_workers_count_against_the_pool() -> None:
    with _databases(OPTIONS={"pool": {"max_size": 10}}):
        try:
            assert [m.id for m in our_checks.run_worker_checks(threads=4, workers=2)] == []
            assert [m.id for m in our_checks.run_worker_checks(threads=4, workers=3)] == [
                "async_handler.W002"]
        finally:
            our_checks.UNDER_WORKER, our_checks.WORKER_THREADS = False, None
            our_checks.WORKERS = 1


def test_app_order() -> None:
    apps = [a for a in settings.INSTALLED_APPS if a != "async_handler"]
    with override_settings(INSTALLED_APPS=apps + ["async_handler"]):
        assert "async_handler.W004" in _ids()


@override_settings(DEBUG=True)
def test_debug_under_the_worker() -> None:
    assert _ids() == []
    try:
        assert [m.id for m in our_checks.run_worker_checks()] == ["async_handler.W003"]
    finally:
        our_checks.UNDER_WORKER, our_checks.WORKER_THREADS = False, None


def _redis_layer(*hosts: object) -> dict[str, object]:
    return {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                        "CONFIG": {"hosts": list(hosts)}}}


def test_redis_hosts_that_time_out_before_the_blocking_read() -> None:
    from async_handler.websocket.layercheck import default_socket_timeout

    # redis-py 8 has a 5 s default; under an older redis-py with none, nothing can fire.
    expected = ["async_handler.W007"] if default_socket_timeout() is not None else []
    for hosts in (["redis://127.0.0.1:6379"], [{"address": "redis://127.0.0.1:6379"}]):
        with override_settings(CHANNEL_LAYERS=_redis_layer(*hosts)):
            assert _ids() == expected
    short = _redis_layer({"address": "redis://h", "socket_timeout": 3})
    with override_settings(CHANNEL_LAYERS=short):
        assert _ids() == ["async_handler.W007"]
    quiet = (
        _redis_layer({"address": "redis://127.0.0.1:6379", "socket_timeout": 10}),
        _redis_layer("redis://127.0.0.1:6379/0?socket_timeout=10"),
        _redis_layer({"address": "unix:///tmp/r.sock", "socket_timeout": None}),
        {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
    )
    for layers in quiet:
        with override_settings(CHANNEL_LAYERS=layers):
            assert _ids() == []
