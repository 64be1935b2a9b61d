"""The views the workloads hit: hello both ways, a 50 ms sleep, an ORM read each way, a big file."""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse

from .models import Item


def hello_sync(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


async def hello_async(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


async def sleep_async(request: HttpRequest) -> HttpResponse:
    await asyncio.sleep(0.05)
    return HttpResponse("slept")


def orm_sync(request: HttpRequest) -> HttpResponse:
    item = Item.objects.get(pk=1)
    return HttpResponse(item.name)


async def orm_async(request: HttpRequest) -> HttpResponse:
    item = await Item.objects.aget(pk=1)
    return HttpResponse(item.name)


async def json_async(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"path": request.path, "query": request.GET.dict()})


def big_file(request: HttpRequest) -> FileResponse:
    return FileResponse(open(settings.BIG_FILE, "rb"), content_type="application/octet-stream")
