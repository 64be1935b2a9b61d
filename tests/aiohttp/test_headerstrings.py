"""META strings shared between requests (aiohttp/headerstrings.py): right, shared, bounded."""

from __future__ import annotations

import pytest

from async_handler.aiohttp import headerstrings


@pytest.fixture(autouse=True)
def _empty_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other tests in this process may have filled them; the worker's own stay untouched.
    monkeypatch.setattr(headerstrings, "_KEYS", {})
    monkeypatch.setattr(headerstrings, "_VALUES", {})


def test_names_map_as_gunicorn_maps_them_and_are_made_once() -> None:
    first = headerstrings.header_key(b"Sec-WebSocket-Key")
    assert first == ("SEC-WEBSOCKET-KEY", "HTTP_SEC_WEBSOCKET_KEY")
    assert headerstrings.header_key(b"Sec-WebSocket-Key")[1] is first[1]


def test_values_are_shared_only_for_headers_whose_values_repeat() -> None:
    ua = b"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 \xe9"
    one = headerstrings.header_value("USER-AGENT", bytes(ua))
    assert one == ua.decode("latin-1")
    assert headerstrings.header_value("USER-AGENT", bytes(ua)) is one
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    made = headerstrings.header_value("SEC-WEBSOCKET-KEY", key)
    assert made == key.decode()
    assert headerstrings.header_value("SEC-WEBSOCKET-KEY", key) is not made


def test_the_caches_stay_bounded() -> None:
    bound = headerstrings._CACHE_BOUND
    for i in range(2 * bound):
        assert headerstrings.header_key(b"X-Many-%d" % i) == (f"X-MANY-{i}", f"HTTP_X_MANY_{i}")
        assert headerstrings.header_value("ACCEPT", b"text/x-%d" % i) == f"text/x-{i}"
    assert len(headerstrings._KEYS) <= bound
    assert len(headerstrings._VALUES) <= bound
