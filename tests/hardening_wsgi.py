"""A plain WSGI application for gunicorn's sync worker, the reference in parity tests.

It reads wsgi.input to the end, so gunicorn parses the whole body, trailers
included (Django reads only CONTENT_LENGTH bytes, none of a chunked body).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable


def application(environ: dict[str, Any],
                start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ran %d" % len(body)]
