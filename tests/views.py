"""Sync, async and streaming views exercising the handler; DRF views live in tests/drf_app."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
import threading
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import connection, transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt

from tests.middleware import EVENTS
from tests.models import Item

# In-process tests read these to see what happened inside views.
STATE: dict[str, Any] = {}
_ERRORS = {"raise": ValueError, "raise404": Http404, "raise403": PermissionDenied,
           "raise400": SuspiciousOperation, "badrequest": BadRequest}


def _view_act(request: Any, name: str) -> Any:
    EVENTS.append(name)
    request.view_thread = threading.get_ident()
    act = request.headers.get("X-View", "")
    if act in _ERRORS:
        raise _ERRORS[act](name)
    if act == "template":
        return TemplateResponse(request, "hello.html", {"name": name})
    return HttpResponse(f"hello {name}")


def sync_hello(request: Any) -> HttpResponse:
    return _view_act(request, "sync")


async def async_hello(request: Any) -> HttpResponse:
    return _view_act(request, "async")


def returns_coroutine(request: Any) -> Any:
    """A plain function handing back a coroutine, as API frameworks' wrappers do."""

    async def inner() -> HttpResponse:
        await asyncio.sleep(0)
        return HttpResponse("awaited coroutine")

    return inner()


async def async_sleep(request: Any) -> HttpResponse:
    await asyncio.sleep(float(request.GET.get("s", "1")))
    return HttpResponse("slept")


def sync_sleep(request: Any) -> HttpResponse:
    time.sleep(float(request.GET.get("s", "1")))
    return HttpResponse("sync slept")


def sync_thread(request: Any) -> JsonResponse:
    return JsonResponse({"thread": threading.get_ident(), "main": threading.main_thread().ident})


async def async_threads(request: Any) -> JsonResponse:
    """Three sync calls from one async view: they must share one thread."""
    idents = [await sync_to_async(threading.get_ident)() for _ in range(3)]
    count = await Item.objects.acount()
    return JsonResponse({"threads": idents, "loop_thread": threading.get_ident(), "count": count})


async def async_atomic(request: Any) -> JsonResponse:
    """A transaction opened in one sync call and used by the next ones."""
    atomic = transaction.atomic()
    await sync_to_async(atomic.__enter__)()
    try:
        await sync_to_async(Item.objects.create)(name="in-atomic")
        inside = await sync_to_async(lambda: connection.in_atomic_block)()
    finally:
        await sync_to_async(atomic.__exit__)(ValueError, ValueError("roll back"), None)
    left = await Item.objects.filter(name="in-atomic").acount()
    return JsonResponse({"in_atomic_block": inside, "rows_after_rollback": left})


def db_connection(request: Any) -> JsonResponse:
    Item.objects.exists()
    return JsonResponse({"connection": id(connection.connection), "thread": threading.get_ident(),
                         "pid": os.getpid()})


def meta(request: Any) -> JsonResponse:
    keys = request.GET.getlist("k") or [
        "REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT", "CONTENT_TYPE",
        "CONTENT_LENGTH", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "wsgi.url_scheme"]
    http = {k: v for k, v in request.META.items() if k.startswith("HTTP_")}
    return JsonResponse({"meta": {k: request.META.get(k) for k in keys}, "http": http,
                         "path": request.path, "path_info": request.path_info,
                         "get": {k: request.GET.getlist(k) for k in request.GET},
                         "cookies": request.COOKIES, "scheme": request.scheme,
                         "secure": request.is_secure(), "host": request.get_host()})


@csrf_exempt
def body(request: Any) -> JsonResponse:
    data = request.body
    return JsonResponse({"length": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                         "post": {k: request.POST.getlist(k) for k in request.POST}})


@csrf_exempt
def upload(request: Any) -> JsonResponse:
    files = {name: {"size": f.size, "on_disk": isinstance(f, TemporaryUploadedFile),
                    "sha256": hashlib.sha256(f.read()).hexdigest()}
             for name, f in request.FILES.items()}
    post = {k: request.POST.getlist(k) for k in request.POST}
    return JsonResponse({"files": files, "post": post})


@csrf_exempt
def stream_raw(request: Any) -> JsonResponse:
    """Reads the body as a stream, as views taking large raw uploads do."""
    size = 0
    while chunk := request.read(65536):
        size += len(chunk)
    return JsonResponse({"length": size})


def _sync_chunks(n: int, delay: float) -> Any:
    try:
        for i in range(n):
            yield f"chunk{i}\n".encode()
            time.sleep(delay)
    finally:
        STATE["sync_stream_closed"] = True


async def _async_chunks(n: int, delay: float) -> Any:
    try:
        for i in range(n):
            yield f"chunk{i}\n".encode()
            await asyncio.sleep(delay)
    except asyncio.CancelledError:
        STATE["async_stream_cancelled"] = True
        raise
    finally:
        STATE["async_stream_done"] = True


def stream_sync(request: Any) -> StreamingHttpResponse:
    return StreamingHttpResponse(_sync_chunks(int(request.GET.get("n", "3")),
                                              float(request.GET.get("d", "0.5"))))


async def stream_async(request: Any) -> StreamingHttpResponse:
    return StreamingHttpResponse(_async_chunks(int(request.GET.get("n", "3")),
                                               float(request.GET.get("d", "0.5"))))


def big_file(request: Any) -> FileResponse:
    size = int(request.GET.get("mb", "8")) * 1024 * 1024
    path = os.path.join(tempfile.gettempdir(), f"async_handler_big_{size}.bin")
    if not os.path.exists(path) or os.path.getsize(path) != size:
        with open(path + ".tmp", "wb") as fh:
            fh.truncate(size)
        os.replace(path + ".tmp", path)
    return FileResponse(open(path, "rb"), as_attachment=True, filename="big.bin")


def patterned_file(request: Any) -> FileResponse:
    """A file whose every byte matters, opened at an offset as views sometimes do."""
    path = os.path.join(tempfile.gettempdir(), "async_handler_pattern.bin")
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as fh:
            fh.write(bytes(range(256)) * 12_288)  # 3 MiB
        os.replace(path + ".tmp", path)
    handle = open(path, "rb")
    handle.seek(int(request.GET.get("skip", "0")))
    return FileResponse(handle)


def cookies(request: Any) -> HttpResponse:
    response = HttpResponse("cookies", status=299, reason="Custom Reason")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2", httponly=True)
    return response


class TrackedResponse(HttpResponse):
    def close(self) -> None:
        STATE["closed"] = STATE.get("closed", 0) + 1
        super().close()


async def tracked(request: Any) -> HttpResponse:
    return TrackedResponse("tracked")


async def cancellable(request: Any) -> HttpResponse:
    STATE["cancellable_started"] = True
    started = request.GET.get("started")
    if started:  # for a test outside the server's process
        with open(started, "w") as fh:
            fh.write("started")
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        STATE["cancelled"] = True
        marker = request.GET.get("marker")
        if marker:
            with open(marker, "w") as fh:
                fh.write("cancelled")
        raise
    return HttpResponse("not cancelled")


def counts(request: Any) -> JsonResponse:
    return JsonResponse({"pid": os.getpid(), "items": Item.objects.count(), "body": json.dumps(1)})


async def blocks_loop(request: Any) -> HttpResponse:
    """What not to do: a blocking call inside async def."""
    time.sleep(float(request.GET.get("s", "0.5")))
    return HttpResponse("blocked")


async def outbound(request: Any) -> JsonResponse:
    """Calls another URL through the worker's shared ClientSession."""
    from async_handler.client import session

    client = session()
    STATE["outbound_session"] = client
    async with client.get(request.GET["url"]) as r:
        text = await r.text()
    return JsonResponse({"status": r.status, "text": text, "session": id(client)})
