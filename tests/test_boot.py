"""What the worker checks as it boots (boot.py), on a real gunicorn.

An error-level system check stops the boot with its message and hint, as
runserver refuses to start; a plain get_wsgi_application() is served with a
fallback line and no warning that contradicts it.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.server import Gunicorn
from tests.worker_support import get

ENV = {"DJANGO_SETTINGS_MODULE": "tests.env_settings"}


@pytest.mark.parametrize(("setting", "message", "hint"), [
    ({"THREADZ": 4}, "(async_handler.E001) Unknown ASYNC_HANDLER setting 'THREADZ'.",
     "HINT: Known settings: "),
    ({"THREADS": 0}, "(async_handler.E002) ASYNC_HANDLER['THREADS'] must be a positive", None),
], ids=["E001", "E002"])
def test_an_error_check_stops_the_boot(setting: dict[str, int], message: str,
                                       hint: str | None) -> None:
    with Gunicorn(env={**ENV, "ASYNC_HANDLER_TEST_SETTINGS": json.dumps(setting)}) as g:
        assert g.proc.wait(60) != 0, g.output()
        output = g.output()
        assert re.search(r"\[ERROR\] .*" + re.escape(message), output), output
        if hint:
            assert hint in output, output
        assert "Worker refusing to start" in output
        assert "Worker failed to boot" in output  # the arbiter stops rather than respawns


def test_a_silenced_error_check_does_not_stop_the_boot() -> None:
    env = {**ENV, "ASYNC_HANDLER_TEST_SETTINGS": json.dumps({"THREADZ": 4}),
           "ASYNC_HANDLER_TEST_SILENCED": "async_handler.E001"}
    with Gunicorn(env=env) as g:
        g.wait_ready()
        assert get(g.port, "/sync/").status == 200
        assert "E001" not in g.output()


def test_plain_wsgi_handler_is_served_without_w001s_claim() -> None:
    """The fallback line says what happens; W001 would claim async views get no concurrency."""
    env = {**ENV, "ASYNC_HANDLER_TEST_WSGI": "tests.plain_wsgi.application"}
    with Gunicorn(app="tests.plain_wsgi:application", env=env) as g:
        g.wait_ready("/async/")
        assert get(g.port, "/async/").status == 200
        output = g.output()
        assert "plain WSGIHandler; serving it with AsyncDjangoApplication" in output, output
        assert "W001" not in output and "no concurrency" not in output, output
