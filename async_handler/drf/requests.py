"""DRF's Request with async authentication: `await request.auser()` and async authenticators.

Async views authenticate before the handler runs (see views.APIView), so
`request.user` is a plain attribute read there. The sync `user` property still works
from sync code off the loop, driving any async authenticator with async_to_sync.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.request import Empty, Request, wrap_attributeerrors  # noqa: F401

from ._util import LazyAwaitable, call_blocking, run_sync
from .plan import Plan
from .policies import plan_authentication


class AsyncRequest(Request):
    """A `rest_framework.request.Request` that can authenticate and parse without blocking."""

    @property
    def user(self) -> Any:
        return Request.user.fget(self)

    @user.setter
    def user(self, value: Any) -> None:
        # DRF mirrors the user onto the Django request's `user`; mirror it onto
        # Django's `auser()` cache too, so that `await request.auser()` on a clone
        # (DRF's metadata and browsable API clone the request as a plain Request,
        # which proxies `auser` to Django's) sees DRF's user, not the session's.
        Request.user.fset(self, value)
        self._request._acached_user = value

    def _authenticate(self) -> None:
        # DRF's loop, except that an `async def authenticate` is driven to completion.
        for authenticator in self.authenticators:
            try:
                result = call_blocking(authenticator.authenticate, self)
            except exceptions.APIException:
                self._not_authenticated()
                raise
            if result is not None:
                self._authenticator = authenticator
                self.user, self.auth = result
                return
        self._not_authenticated()

    async def aauthenticate(self) -> None:
        """Run the authenticators: async ones awaited, sync ones together in one hop."""
        plan = Plan()
        plan_authentication(plan, self)
        await plan.run()

    async def auser(self) -> Any:
        """The authenticated user (or AnonymousUser), authenticating first if needed."""
        if "_user" not in vars(self):
            await self.aauthenticate()
        return self._user

    async def aauth(self) -> Any:
        """The credentials the successful authenticator returned, as `request.auth`."""
        if "_auth" not in vars(self):
            await self.aauthenticate()
        return self._auth

    @property
    def adata(self) -> LazyAwaitable:
        """`await request.adata`: `request.data`, parsed off the loop for multipart bodies.

        JSON and form bodies are parsed inline, as any async view would; multipart
        parsing may spool uploads to disk, so it runs on the request's thread.
        """
        return LazyAwaitable(self._aload_data)

    async def _aload_data(self) -> Any:
        if self._full_data is Empty and self.content_type.startswith("multipart/"):
            return await run_sync(lambda: self.data)
        return self.data
