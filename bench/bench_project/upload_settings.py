"""The bench project for the upload section (`bench/benchlib/upload.py`): limits that let a
2 GiB body through.

The spooled baseline posts `application/octet-stream`, which DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB
by default) would refuse with 400 before the view runs, and the worker's MAX_BODY_SIZE defaults
to 1 GiB; both are lifted here so that every row measures the same 2 GiB body.
"""

from __future__ import annotations

from bench_project.settings import *  # noqa: F403

DATA_UPLOAD_MAX_MEMORY_SIZE = None
ASYNC_HANDLER = {"MAX_BODY_SIZE": 16 * 1024**3}
