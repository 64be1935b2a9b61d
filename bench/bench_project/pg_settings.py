"""The bench project on PostgreSQL, for the PostgreSQL section (`bench/benchlib/postgres.py`).

Django's defaults otherwise (CONN_MAX_AGE 0, no pool), as a new user would run it. The section
sets the environment: the cluster's address, the database, `application_name` (the stack's name,
so that pg_stat_activity tells the stacks' connections apart), the upstream's URL, and
BENCH_PG_EXTRA, a comma-separated list: `mixin` appends an unknown sync-only MiddlewareMixin,
`receiver` connects a request_started receiver (see `apps.py`).
"""

from __future__ import annotations

import os

from bench_project.settings import *  # noqa: F403
from bench_project.settings import MIDDLEWARE as _BASE

_EXTRA = set(filter(None, os.environ.get("BENCH_PG_EXTRA", "").split(",")))

MIDDLEWARE = [
    *_BASE,
    *(["bench_project.pg_views.UnknownSyncMiddleware"] if "mixin" in _EXTRA else []),
]
BENCH_REQUEST_STARTED_RECEIVER = "receiver" in _EXTRA
BENCH_UPSTREAM_URL = os.environ.get("BENCH_UPSTREAM_URL", "")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_PG_PORT", "5432"),
        "NAME": os.environ.get("BENCH_PG_NAME", "bench"),
        "USER": "postgres",
        "OPTIONS": {"application_name": os.environ.get("BENCH_PG_APP", "bench")},
    }
}

# A failed request (say "too many clients") is logged with its traceback, so that the bench
# counts it per exception; Django logs 500s to the console only under DEBUG otherwise.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
