"""GenericAPIView with async lookup, filtering and pagination, and the concrete generic views.

The sync API (`get_object`, `filter_queryset`, `paginate_queryset`) stays DRF's, for
sync handlers and DRF's own tooling; the async twins (`aget_object`,
`afilter_queryset`, `apaginate_queryset`, `get_apaginated_response`, adrf's names)
use Django's async ORM and hop to a thread only for a user's sync overrides and sync
filter backends, batched into one hop where they are adjacent.
"""

from __future__ import annotations

from typing import Any

from rest_framework import generics as drf_generics

from . import mixins
from ._util import call, call_blocking, is_async, overrides, run_sync
from .pagination import aget_paginated_response, apaginate_queryset
from .shortcuts import aget_object_or_404
from .views import APIView

__all__ = [
    "CreateAPIView",
    "DestroyAPIView",
    "GenericAPIView",
    "ListAPIView",
    "ListCreateAPIView",
    "RetrieveAPIView",
    "RetrieveDestroyAPIView",
    "RetrieveUpdateAPIView",
    "RetrieveUpdateDestroyAPIView",
    "UpdateAPIView",
    "aget_object_or_404",
]

_DRF = drf_generics.GenericAPIView


class GenericAPIView(APIView, drf_generics.GenericAPIView):
    """`rest_framework.generics.GenericAPIView` with awaitable lookup and pagination."""

    async def aget_queryset(self) -> Any:
        """`get_queryset()`: DRF's own (`queryset.all()`) inline, an override off the loop."""
        if not overrides(self, "get_queryset", _DRF):
            return self.get_queryset()
        return await call(self.get_queryset)

    async def afilter_queryset(self, queryset: Any) -> Any:
        """Apply the filter backends: async ones awaited, adjacent sync ones in one hop."""
        if overrides(self, "filter_queryset", GenericAPIView):
            return await call(self.filter_queryset, queryset)
        pending: list[Any] = []
        for backend in [backend() for backend in self.filter_backends]:
            if not is_async(backend.filter_queryset):
                pending.append(backend)
                continue
            if pending:
                queryset = await run_sync(self._apply_backends, pending, queryset)
                pending = []
            queryset = await backend.filter_queryset(self.request, queryset, self)
        if pending:
            queryset = await run_sync(self._apply_backends, pending, queryset)
        return queryset

    def _apply_backends(self, backends: list[Any], queryset: Any) -> Any:
        for backend in backends:
            queryset = backend.filter_queryset(self.request, queryset, self)
        return queryset

    def filter_queryset(self, queryset: Any) -> Any:
        # DRF's loop; an async backend, met from sync code, is driven to completion.
        for backend in list(self.filter_backends):
            queryset = call_blocking(backend().filter_queryset, self.request, queryset, self)
        return queryset

    async def afiltered_queryset(self) -> Any:
        """`filter_queryset(get_queryset())`, in one hop when both parts are sync and blocking."""
        own_get = overrides(self, "get_queryset", _DRF)
        own_filter = overrides(self, "filter_queryset", GenericAPIView)
        backends = [] if own_filter else list(self.filter_backends)
        any_async = is_async(self.get_queryset) or is_async(self.filter_queryset) or any(
            is_async(getattr(b, "filter_queryset", None)) for b in backends
        )
        if (own_get or own_filter) and (own_filter or backends) and not any_async:
            return await run_sync(lambda: self.filter_queryset(self.get_queryset()))
        return await self.afilter_queryset(await self.aget_queryset())

    async def aget_object(self) -> Any:
        """`get_object()` on the async ORM, checking object permissions (async ones awaited)."""
        if overrides(self, "get_object", _DRF):
            return await call(self.get_object)
        queryset = await self.afiltered_queryset()
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        assert lookup_url_kwarg in self.kwargs, (
            f"{type(self).__name__} was called without the URL keyword argument "
            f"{lookup_url_kwarg!r}: fix the URL conf, or set `lookup_field` on the view."
        )
        filters = {self.lookup_field: self.kwargs[lookup_url_kwarg]}
        obj = await aget_object_or_404(queryset, **filters)
        await self.acheck_object_permissions(self.request, obj)
        return obj

    async def apaginate_queryset(self, queryset: Any) -> Any:
        """One page as a list (count and fetch on the async ORM), or None if unpaginated."""
        if self.paginator is None:
            return None
        return await apaginate_queryset(self.paginator, queryset, self.request, self)

    async def get_apaginated_response(self, data: Any) -> Any:
        assert self.paginator is not None
        return await aget_paginated_response(self.paginator, data)

    def paginate_queryset(self, queryset: Any) -> Any:
        if self.paginator is None:
            return None
        return call_blocking(self.paginator.paginate_queryset, queryset, self.request, view=self)

    def get_paginated_response(self, data: Any) -> Any:
        assert self.paginator is not None
        return call_blocking(self.paginator.get_paginated_response, data)


# Concrete views: HTTP handlers bound to the async actions of the mixins.


class CreateAPIView(mixins.CreateModelMixin, GenericAPIView):
    async def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.create(request, *args, **kwargs)


class ListAPIView(mixins.ListModelMixin, GenericAPIView):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.list(request, *args, **kwargs)


class RetrieveAPIView(mixins.RetrieveModelMixin, GenericAPIView):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.retrieve(request, *args, **kwargs)


class DestroyAPIView(mixins.DestroyModelMixin, GenericAPIView):
    async def delete(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.destroy(request, *args, **kwargs)


class UpdateAPIView(mixins.UpdateModelMixin, GenericAPIView):
    async def put(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.update(request, *args, **kwargs)

    async def patch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.partial_update(request, *args, **kwargs)


class ListCreateAPIView(mixins.ListModelMixin, mixins.CreateModelMixin, GenericAPIView):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.list(request, *args, **kwargs)

    async def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.create(request, *args, **kwargs)


class RetrieveUpdateAPIView(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, GenericAPIView):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.retrieve(request, *args, **kwargs)

    async def put(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.update(request, *args, **kwargs)

    async def patch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.partial_update(request, *args, **kwargs)


class RetrieveDestroyAPIView(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, GenericAPIView):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.retrieve(request, *args, **kwargs)

    async def delete(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.destroy(request, *args, **kwargs)


class RetrieveUpdateDestroyAPIView(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, GenericAPIView
):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.retrieve(request, *args, **kwargs)

    async def put(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.update(request, *args, **kwargs)

    async def patch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.partial_update(request, *args, **kwargs)

    async def delete(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return await self.destroy(request, *args, **kwargs)
