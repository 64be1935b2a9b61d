"""Settings for gunicorn worker tests: the test settings, the worker views, a THREADS knob."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.worker_urls"

if os.environ.get("ASYNC_HANDLER_TEST_THREADS"):
    ASYNC_HANDLER = {"THREADS": int(os.environ["ASYNC_HANDLER_TEST_THREADS"])}
