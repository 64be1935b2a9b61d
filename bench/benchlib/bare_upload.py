"""The upload section's ceiling: a bare aiohttp application hashing `request.content`.

Served by gunicorn's `aiohttp.GunicornWebWorker` (`gunicorn benchlib.bare_upload:app`), with no
Django and no async_handler, so it is the most an aiohttp worker can take in and hash. It answers
what the Django views in `bench_project/upload_views.py` answer, and `GET /hello/sync/` for the
harness's readiness probe.
"""

from __future__ import annotations

import hashlib
import time

from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def upload(request: web.Request) -> web.Response:
    """Hash the body as aiohttp hands it over: readany() returns whatever is buffered."""
    digest = hashlib.sha256()
    size = count = largest = 0
    first = 0.0
    while chunk := await request.content.readany():
        if not count:
            first = time.monotonic()
        digest.update(chunk)
        size += len(chunk)
        count += 1
        largest = max(largest, len(chunk))
    return web.json_response(
        {
            "bytes": size,
            "sha256": digest.hexdigest(),
            "first_chunk": first,
            "last_chunk": time.monotonic(),
            "chunks": count,
            "largest_chunk": largest,
        }
    )


app = web.Application()
app.router.add_get("/hello/sync/", hello)
app.router.add_post("/upload/", upload)
