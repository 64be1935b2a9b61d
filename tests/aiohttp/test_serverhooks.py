"""gunicorn's pre_request and post_request hooks under the real worker."""

from __future__ import annotations

from pathlib import Path

from tests.server import Gunicorn
from tests.worker_support import SETTINGS, get, poll


def test_pre_and_post_request_hooks(tmp_path: Path) -> None:
    """gunicorn's server hooks from a config file: pre before the view, post once sent."""
    log = tmp_path / "hooks.log"
    with Gunicorn("-c", "tests/gunicorn_hooks.py",
                  env={**SETTINGS, "HOOK_LOG": str(log)}) as g:
        g.wait_ready()
        assert get(g.port, "/async/?a=1", {"X-Hook": "yes"}).body == b"hello async"
        assert get(g.port, "/missing/").status == 404

        def ours() -> list[str] | None:
            # wait_ready's requests to /sync/ are logged too.
            found = [line for line in log.read_text().splitlines() if "/sync/" not in line]
            return found if len(found) >= 4 else None

        lines = poll(ours, 10, "four hook lines")
    assert lines == [
        "pre AiohttpWorker GET /async/ a=1 yes (1, 1)",
        "post /async/ 200 200 OK /async/ 11",
        "pre AiohttpWorker GET /missing/  None (1, 1)",
        f"post /missing/ 404 404 Not Found /missing/ {lines[3].rsplit(' ', 1)[1]}",
    ]
    assert int(lines[3].rsplit(" ", 1)[1]) > 0


def test_default_pre_request_logs_at_debug_level() -> None:
    with Gunicorn("--log-level", "debug", env=SETTINGS) as g:
        g.wait_ready()
        assert get(g.port, "/async/?b=2").status == 200
        poll(lambda: "[DEBUG] GET /async/\n" in g.output(), 10, "gunicorn's own pre_request line")
