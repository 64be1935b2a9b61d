"""The concurrency test settings on a PostgreSQL cluster started by tests/services/postgres.py.

CONN_MAX_AGE and Django 5.1+'s connection pool come from the environment, so one
gunicorn command line runs each combination.
"""

from __future__ import annotations

import os

from tests.concurrency_settings import *  # noqa: F403

_pool = os.environ.get("ASYNC_HANDLER_PG_POOL", "")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("ASYNC_HANDLER_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("ASYNC_HANDLER_PG_PORT", "5432"),
        "NAME": os.environ.get("ASYNC_HANDLER_PG_NAME", "async_handler_tests"),
        "USER": "postgres",
        "CONN_MAX_AGE": int(os.environ.get("ASYNC_HANDLER_TEST_CONN_MAX_AGE", "0")),
        "OPTIONS": {"pool": {"min_size": 2, "max_size": int(_pool)}} if _pool else {},
    }
}
