"""Settings of the fault tests under gunicorn: the concurrency settings (SQLite, or
PostgreSQL when ASYNC_HANDLER_PG_NAME is set) with tests.fault_views as URLconf and
its cancel counter as the outermost middleware. ASYNC_HANDLER_TEST_EXTRA adds
middleware as in tests.concurrency_settings; `gated` adds tests.fault_views'
wrapping middleware that works before calling get_response.
"""

from __future__ import annotations

import os

if os.environ.get("ASYNC_HANDLER_PG_NAME"):
    from tests.pg_settings import *  # noqa: F403
else:
    from tests.concurrency_settings import *  # noqa: F403

from tests.concurrency_settings import _EXTRA
from tests.concurrency_settings import MIDDLEWARE as _CHAIN

ROOT_URLCONF = "tests.fault_views"
MIDDLEWARE = ["tests.fault_views.cancel_counter", *_CHAIN,
              *(["tests.fault_views.gated_wrapping_middleware"] if "gated" in _EXTRA else [])]
