"""Settings for the concurrency tests: the default MIDDLEWARE, plus extras named in the environment.

ASYNC_HANDLER_TEST_EXTRA is a comma-separated list: `mixin` adds an unknown
sync-only MiddlewareMixin, `wrapping` an old-style sync middleware wrapping the
chain, `threadlocal` a thread-local "current user" middleware, `transaction`
one that holds a transaction from process_request to process_response.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import MIDDLEWARE as _BASE

ROOT_URLCONF = "tests.concurrency_urls"
_EXTRA = set(filter(None, os.environ.get("ASYNC_HANDLER_TEST_EXTRA", "").split(",")))
_ADDED = {
    "mixin": "tests.concurrency_views.UnknownSyncMiddleware",
    "wrapping": "tests.concurrency_views.wrapping_middleware",
    "threadlocal": "tests.concurrency_views.ThreadLocalMiddleware",
    "transaction": "tests.concurrency_views.TransactionMiddleware",
}
MIDDLEWARE = [*_BASE, *(_ADDED[name] for name in sorted(_EXTRA) if name in _ADDED)]

ASYNC_HANDLER: dict[str, object] = {}
if os.environ.get("ASYNC_HANDLER_TEST_THREADS"):
    ASYNC_HANDLER["THREADS"] = int(os.environ["ASYNC_HANDLER_TEST_THREADS"])
if os.environ.get("ASYNC_HANDLER_TEST_THREAD_PER_REQUEST"):
    ASYNC_HANDLER["THREAD_PER_REQUEST"] = True
