"""Async test helpers: DRF's APIRequestFactory and APIClient conveniences over ASGI requests.

`AsyncAPIClient` is Django's AsyncClient with DRF's `format=` encoding,
`credentials()` and `force_authenticate()`; `AsyncAPIRequestFactory` builds
ASGIRequests to pass straight to a view (`await view(request)`). Same names as adrf.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings  # noqa: F401  (adrf's module has these names)
from django.test.client import AsyncClient, AsyncClientHandler, AsyncRequestFactory
from django.test.client import AsyncClient as DjangoAsyncClient  # noqa: F401
from django.test.client import AsyncRequestFactory as DjangoAsyncRequestFactory  # noqa: F401
from django.utils.encoding import force_bytes  # noqa: F401
from django.utils.http import urlencode  # noqa: F401
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory, force_authenticate


class AsyncAPIRequestFactory(AsyncRequestFactory):
    """Like DRF's APIRequestFactory: `post(path, data, format="json")`, CSRF not enforced."""

    renderer_classes_list = api_settings.TEST_REQUEST_RENDERER_CLASSES
    default_format = api_settings.TEST_REQUEST_DEFAULT_FORMAT
    # DRF's encoder: renders `data` with the renderer for `format` (or takes raw bytes).
    _encode_data = APIRequestFactory._encode_data

    def __init__(self, enforce_csrf_checks: bool = False, **defaults: Any) -> None:
        self.enforce_csrf_checks = enforce_csrf_checks
        self.renderer_classes = {cls.format: cls for cls in self.renderer_classes_list}
        super().__init__(**defaults)

    def _with_body(self, method: str, path: str, data: Any, format: str | None,
                   content_type: str | None, **extra: Any) -> Any:
        body, content_type = self._encode_data(data, format, content_type)
        return self.generic(method, path, body, content_type or "application/octet-stream",
                            **extra)

    # DRF's signatures, with `format=`, which Django's stubs do not have.

    def post(  # type: ignore[override]
        self, path: str, data: Any = None, format: str | None = None,
        content_type: str | None = None, **extra: Any,
    ) -> Any:
        return self._with_body("POST", path, data, format, content_type, **extra)

    def put(  # type: ignore[override]
        self, path: str, data: Any = None, format: str | None = None,
        content_type: str | None = None, **extra: Any,
    ) -> Any:
        return self._with_body("PUT", path, data, format, content_type, **extra)

    def patch(  # type: ignore[override]
        self, path: str, data: Any = None, format: str | None = None,
        content_type: str | None = None, **extra: Any,
    ) -> Any:
        return self._with_body("PATCH", path, data, format, content_type, **extra)

    def delete(  # type: ignore[override]
        self, path: str, data: Any = None, format: str | None = None,
        content_type: str | None = None, **extra: Any,
    ) -> Any:
        return self._with_body("DELETE", path, data, format, content_type, **extra)

    def options(  # type: ignore[override]
        self, path: str, data: Any = None, format: str | None = None,
        content_type: str | None = None, **extra: Any,
    ) -> Any:
        return self._with_body("OPTIONS", path, data, format, content_type, **extra)

    def request(self, **kwargs: Any) -> Any:
        request = super().request(**kwargs)
        enforce = self.enforce_csrf_checks
        request._dont_enforce_csrf_checks = not enforce  # type: ignore[attr-defined]
        return request


class AsyncForceAuthClientHandler(AsyncClientHandler):
    """Django's AsyncClientHandler, authenticating each request as `force_authenticate` set."""

    force_user: Any = None
    force_token: Any = None

    async def get_response_async(self, request: Any) -> Any:
        force_authenticate(request, self.force_user, self.force_token)
        return await super().get_response_async(request)


class AsyncAPIClient(AsyncAPIRequestFactory, AsyncClient):  # type: ignore[misc]
    """`await client.post("/notes/", {"title": "x"}, format="json")`; follow= is unsupported."""

    def __init__(self, enforce_csrf_checks: bool = False, **defaults: Any) -> None:
        super().__init__(**defaults)
        self._auth = AsyncForceAuthClientHandler(enforce_csrf_checks)
        self.handler = self._auth
        self._credentials: dict[str, str] = {}

    def credentials(self, **kwargs: str) -> None:
        """Headers for every request, in DRF's META style: credentials(HTTP_AUTHORIZATION=...)."""
        self._credentials = {
            key[5:].replace("_", "-") if key.startswith("HTTP_") else key: value
            for key, value in kwargs.items()
        }

    def force_authenticate(self, user: Any = None, token: Any = None) -> None:
        """Authenticate every request as `user`/`token`; (None, None) stops doing so."""
        self._auth.force_user, self._auth.force_token = user, token

    def generic(  # type: ignore[override]
        self, method: str, path: str, data: Any = "",
                content_type: str | None = "application/octet-stream", secure: bool = False,
                *, headers: dict[str, str] | None = None, **extra: Any) -> Any:
        headers = {**self._credentials, **(headers or {})}
        return super().generic(method, path, data, content_type, secure, headers=headers, **extra)

    async def request(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return await AsyncClient.request(self, **kwargs)

    def logout(self) -> None:
        self._forget()
        super().logout()

    async def alogout(self) -> None:
        self._forget()
        await super().alogout()

    def _forget(self) -> None:
        self._credentials = {}
        self._auth.force_user = self._auth.force_token = None
