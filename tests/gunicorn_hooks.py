"""A gunicorn config file with pre_request and post_request hooks that append to $HOOK_LOG."""

from __future__ import annotations

import os
from typing import Any


def _write(line: str) -> None:
    with open(os.environ["HOOK_LOG"], "a", encoding="utf-8") as f:
        f.write(line + "\n")


def pre_request(worker: Any, req: Any) -> None:
    headers = dict(req.headers)
    _write(f"pre {type(worker).__name__} {req.method} {req.path} {req.query} "
           f"{headers.get('X-HOOK')} {req.version}")


def post_request(worker: Any, req: Any, environ: dict[str, Any], resp: Any) -> None:
    _write(f"post {req.path} {resp.status_code} {resp.status} {environ.get('PATH_INFO')} "
           f"{resp.sent}")
