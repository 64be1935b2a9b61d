"""Settings for the hardening tests and the soak: the worker settings with hardening URLs."""

from __future__ import annotations

import os

from tests.worker_settings import *  # noqa: F403

ROOT_URLCONF = "tests.hardening_urls"

if os.environ.get("HARDENING_MAX_BODY_SIZE"):
    # The server's own cap (413); it is below Django's limit only for multipart bodies.
    ASYNC_HANDLER = {**globals().get("ASYNC_HANDLER", {}),
                     "MAX_BODY_SIZE": int(os.environ["HARDENING_MAX_BODY_SIZE"])}

if os.environ.get("HARDENING_DATA_UPLOAD_MAX"):
    # The soak posts 1 MB bodies, past the tests' 256 KiB.
    DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ["HARDENING_DATA_UPLOAD_MAX"])
