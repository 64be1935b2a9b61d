"""Middleware of every shape Django supports, recording what runs, for differential tests.

A request's X-Act header names hooks to act at: `raise:<hook>` raises
ValueError, `raise404:`, `raise403:`, `raise400:` raise Http404,
PermissionDenied and SuspiciousOperation, and `return:<hook>` returns a
response from that hook.
"""

from __future__ import annotations

import threading
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse
from django.utils.deprecation import MiddlewareMixin

EVENTS: list[str] = []
_ERRORS = {"raise": ValueError, "raise404": Http404, "raise403": PermissionDenied,
           "raise400": SuspiciousOperation}


def act(request: Any, where: str) -> HttpResponse | None:
    EVENTS.append(where)
    for part in request.headers.get("X-Act", "").split(","):
        kind, _, target = part.strip().partition(":")
        if target != where:
            continue
        if kind in _ERRORS:
            raise _ERRORS[kind](where)
        if kind == "return":
            return HttpResponse(f"from {where}", status=203)
    return None


class Hooks(MiddlewareMixin):
    """Hook-style middleware with every hook (sync and async capable, as Django's own)."""

    name = "hooks"

    def process_request(self, request: Any) -> Any:
        return act(request, f"{self.name}.process_request")

    def process_view(self, request: Any, view: Any, args: Any, kwargs: Any) -> Any:
        return act(request, f"{self.name}.process_view")

    def process_exception(self, request: Any, exc: Exception) -> Any:
        return act(request, f"{self.name}.process_exception")

    def process_template_response(self, request: Any, response: Any) -> Any:
        act(request, f"{self.name}.process_template_response")
        response.context_data["extra"] = (response.context_data.get("extra") or "") + self.name
        return response

    def process_response(self, request: Any, response: Any) -> Any:
        replaced = act(request, f"{self.name}.process_response")
        response = replaced or response
        response["X-Seen"] = response.get("X-Seen", "") + f"{self.name};"
        return response


class HooksB(Hooks):
    name = "hooksB"


def sync_only(get_response: Any) -> Any:
    """A function middleware: sync only, as Django's default for functions."""

    def middleware(request: Any) -> Any:
        response = act(request, "sync_only.before") or get_response(request)
        EVENTS.append("sync_only.after")
        return response

    return middleware


def async_only(get_response: Any) -> Any:
    """An async-only function middleware."""

    async def middleware(request: Any) -> Any:
        response = act(request, "async_only.before") or await get_response(request)
        EVENTS.append("async_only.after")
        return response

    return markcoroutinefunction(middleware)


async_only.sync_capable = False  # type: ignore[attr-defined]
async_only.async_capable = True  # type: ignore[attr-defined]


class ORMMiddleware(MiddlewareMixin):
    """Third-party style: ORM work in process_request and process_response."""

    def process_request(self, request: Any) -> None:
        from tests.models import Item

        request.orm_count = Item.objects.count()
        request.orm_thread = threading.get_ident()

    def process_response(self, request: Any, response: Any) -> Any:
        from tests.models import Item

        Item.objects.filter(name="__middleware__").exists()
        if hasattr(request, "orm_thread"):
            response["X-ORM-Same-Thread"] = str(request.orm_thread == threading.get_ident())
        view_thread = getattr(request, "view_thread", None)
        if view_thread is not None:
            response["X-ORM-View-Thread"] = str(view_thread == threading.get_ident())
        return response
