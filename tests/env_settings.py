"""Worker test settings whose ASYNC_HANDLER and WSGI_APPLICATION come from the environment.

ASYNC_HANDLER_TEST_SETTINGS holds the ASYNC_HANDLER dict as JSON,
ASYNC_HANDLER_TEST_WSGI the WSGI_APPLICATION, ASYNC_HANDLER_TEST_URLCONF the
ROOT_URLCONF and ASYNC_HANDLER_TEST_SILENCED the silenced checks, so a gunicorn test can boot
the worker on a misconfiguration of its choosing.
"""

from __future__ import annotations

import json
import os

from tests.worker_settings import *  # noqa: F403

if os.environ.get("ASYNC_HANDLER_TEST_SETTINGS"):
    ASYNC_HANDLER = json.loads(os.environ["ASYNC_HANDLER_TEST_SETTINGS"])
if os.environ.get("ASYNC_HANDLER_TEST_WSGI"):
    WSGI_APPLICATION = os.environ["ASYNC_HANDLER_TEST_WSGI"]
if os.environ.get("ASYNC_HANDLER_TEST_URLCONF"):
    ROOT_URLCONF = os.environ["ASYNC_HANDLER_TEST_URLCONF"]
if os.environ.get("ASYNC_HANDLER_TEST_SILENCED"):
    SILENCED_SYSTEM_CHECKS = os.environ["ASYNC_HANDLER_TEST_SILENCED"].split(",")
