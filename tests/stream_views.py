"""@stream_body views for tests/streaming; they report through files in a folder (?dir=).

Files are the side channel that works the same for in-process servers and
subprocesses: `first` once the first chunk arrived, `progress` with the bytes
consumed so far, `cleanup` with the exception the view saw; the view waits
for the test's `go` file where asked (?wait=N: after N bytes).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from async_handler.streaming import RequestBody, stream_body


def _note(request: Any, name: str, text: str = "") -> None:
    folder = request.GET.get("dir")
    if folder:
        path = os.path.join(folder, name)
        with open(path + ".tmp", "w") as fh:
            fh.write(text)
        os.replace(path + ".tmp", path)


async def _go(request: Any) -> None:
    go = os.path.join(request.GET["dir"], "go")
    while not os.path.exists(go):
        await asyncio.sleep(0.01)


async def _consume(request: Any, body: RequestBody) -> dict[str, Any]:
    digest = hashlib.sha256()
    wait = int(request.GET.get("wait", "-1"))
    chunks = 0
    try:
        async for chunk in body:
            digest.update(chunk)
            chunks += 1
            if chunks == 1:
                _note(request, "first", str(body.received))
            if "progress" in request.GET:
                _note(request, "progress", str(body.received))
            if 0 <= wait <= body.received:
                wait = -1
                await _go(request)
    except BaseException as exc:
        _note(request, "cleanup", type(exc).__name__)
        raise
    return {"size": body.received, "sha256": digest.hexdigest(), "replayed": body.replayed,
            "content_length": body.content_length}


@csrf_exempt
@stream_body
async def digest(request: Any, body: RequestBody) -> JsonResponse:
    return JsonResponse(await _consume(request, body))


@stream_body
async def digest_csrf(request: Any, body: RequestBody) -> JsonResponse:
    """No csrf_exempt: CsrfViewMiddleware checks the request first."""
    return JsonResponse(await _consume(request, body))


@csrf_exempt
@stream_body
async def swallow(request: Any, body: RequestBody) -> HttpResponse:
    """Catches what the body raises and answers 200 anyway."""
    try:
        await _consume(request, body)
    except Exception as exc:
        return HttpResponse(f"swallowed {type(exc).__name__}")
    return HttpResponse("read it all")


@csrf_exempt
@stream_body
async def first_bytes(request: Any, body: RequestBody) -> HttpResponse:
    """Looks at the first chunk only and answers, leaving the rest unread."""
    async for chunk in body:
        return HttpResponse(f"first {len(chunk)}")
    return HttpResponse("empty")


@csrf_exempt
@stream_body
async def parts(request: Any, body: RequestBody) -> JsonResponse:
    found = []
    try:
        async for part in body.parts():
            entry: dict[str, Any] = {"name": part.name, "filename": part.filename,
                                     "content_type": part.content_type,
                                     "x_note": part.headers.get("X-Note")}
            if part.filename is None:
                entry["text"] = await part.text()
            else:
                digest, size = hashlib.sha256(), 0
                async for chunk in part:
                    digest.update(chunk)
                    size += len(chunk)
                entry.update(size=size, sha256=digest.hexdigest())
            found.append(entry)
    except BaseException as exc:
        _note(request, "cleanup", type(exc).__name__)
        raise
    return JsonResponse({"parts": found, "replayed": body.replayed})


@method_decorator(csrf_exempt, name="dispatch")
class DigestView(View):
    @method_decorator(stream_body)
    async def post(self, request: Any, body: RequestBody) -> JsonResponse:
        return JsonResponse(await _consume(request, body))

    async def get(self, request: Any) -> HttpResponse:
        return HttpResponse("no body here")


@csrf_exempt
@stream_body
async def reads_body(request: Any, body: RequestBody) -> HttpResponse:
    """Wrong: reads request.body on the loop instead of iterating `body`."""
    return HttpResponse(request.body)
