"""Helpers for the DRF tests: one sync interface over Django's WSGI and ASGI test clients."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.test import AsyncClient, Client

from tests.drf_app.models import Note, Tag
from tests.drf_app.policies import THREADS

USER_PREFIX = "drf-"
CLIENT_KINDS = ["wsgi", "asgi"]


class Api:
    """Requests through Django's WSGIHandler (Client) or ASGIHandler (AsyncClient).

    AsyncClient is driven with async_to_sync so that both kinds serve the same sync
    tests; under WSGI Django itself wraps async views with async_to_sync.
    """

    def __init__(self, kind: str, **client_options: Any) -> None:
        self.kind = kind
        client_options.setdefault("raise_request_exception", False)
        self.client: Any = (Client if kind == "wsgi" else AsyncClient)(**client_options)

    def request(
        self, method: str, path: str, data: Any = None, *, headers: dict[str, str] | None = None
    ) -> Any:
        call = getattr(self.client, method.lower())
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        if self.kind == "asgi":
            return _run(call, path, **kwargs)
        return call(path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, data, **kwargs)

    def post_multipart(self, path: str, data: dict[str, Any]) -> Any:
        if self.kind == "asgi":
            return _run(self.client.post, path, data)
        return self.client.post(path, data)

    def force_login(self, user: Any) -> None:
        self.client.force_login(user)


def make_user(name: str, **fields: Any) -> Any:
    # No password: hashing one costs ~0.2 s, and the tests log users in otherwise.
    return get_user_model().objects.create_user(f"{USER_PREFIX}{name}", **fields)


def as_user(user: Any) -> dict[str, str]:
    """Headers that AsyncHeaderAuthentication turns into `user`."""
    return {"X-Async-User": user.username}


def reset() -> None:
    """Remove what the DRF tests create; other test modules' rows are left alone."""
    Note.objects.all().delete()
    Tag.objects.all().delete()
    get_user_model().objects.filter(username__startswith=USER_PREFIX).delete()
    THREADS.clear()


def _run(call: Any, *args: Any, **kwargs: Any) -> Any:
    # Django 4.2's AsyncClient methods return coroutines without being marked
    # as coroutine functions, which async_to_sync warns about.
    async def run() -> Any:
        return await call(*args, **kwargs)

    return async_to_sync(run)()
