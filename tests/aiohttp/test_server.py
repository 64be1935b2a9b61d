"""server.py's DjangoServer as seen from outside: the Server header, as gunicorn's sync worker."""

from __future__ import annotations

from tests.hardening_support import hardening_gunicorn
from tests.server import Gunicorn
from tests.worker_support import get


def test_server_header_says_gunicorn_as_the_sync_worker_does() -> None:
    """No Python or aiohttp version leaks; a view's own Server header is kept."""
    env = {"DJANGO_SETTINGS_MODULE": "tests.hardening_settings"}
    with Gunicorn(worker="sync", env=env) as reference, hardening_gunicorn() as ours:
        for server in (reference, ours):
            server.wait_ready("/h/echo/")
        for path in ("/h/echo/?i=1", "/h/missing/"):
            expected = get(reference.port, path).headers["server"]
            assert expected == "gunicorn"
            assert get(ours.port, path).headers["server"] == expected
        assert get(ours.port, "/h/server/").headers["server"] == "mine/1.0"
