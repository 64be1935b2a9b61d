"""Settings for the ASGI server tests: the test project with a 1 MB server body cap (413)."""
from __future__ import annotations

from tests.settings import *  # noqa: F403

ASYNC_HANDLER = {"MAX_BODY_SIZE": 1_000_000}
