"""GenericAPIView with async lookup, filtering and pagination, and the concrete generic views.

The sync API (`get_object`, `filter_queryset`, `paginate_queryset`) stays DRF's, for
sync handlers and DRF's own tooling; the async twins (`aget_object`,
`afilter_queryset`, `apaginate_queryset`, `get_apaginated_response`, adrf's names)
use Django's async ORM. Querysets are lazy, so `get_queryset()` and async-safe filter
backends run on the loop, as in adrf; only evaluation, sync filter backends and a
user's sync `get_object`/`filter_queryset` hop to a thread, adjacent ones together.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    SynchronousOnlyOperation,
    ValidationError,  # noqa: F401  (adrf's re-exports)
)
from django.http import Http404  # noqa: F401
from rest_framework import filters
from rest_framework import generics as drf_generics
from rest_framework.generics import GenericAPIView as DRFGenericAPIView  # noqa: F401

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

# DRF's own backends only add filter() and order_by() to the queryset (the ordering
# one may build the serializer's fields to learn the valid names): no query, so they
# run on the loop. Exact types, since a subclass may query.
LAZY_FILTER_BACKENDS = frozenset({filters.SearchFilter, filters.OrderingFilter})


class GenericAPIView(APIView, drf_generics.GenericAPIView):
    """`rest_framework.generics.GenericAPIView` with awaitable lookup and pagination."""

    async def aget_queryset(self) -> Any:
        """`get_queryset()` on the loop: building a queryset is lazy, as adrf assumes.

        An override that queries while building (say, `request.user.profile`) meets
        Django's SynchronousOnlyOperation there and is run again off the loop.
        """
        if is_async(self.get_queryset):
            return await self.get_queryset()
        try:
            return self.get_queryset()
        except SynchronousOnlyOperation:
            return await run_sync(self.get_queryset)

    async def afilter_queryset(self, queryset: Any) -> Any:
        """Apply the filter backends: async ones awaited and async-safe ones run on the loop;
        other sync ones, which may query (django-filter validates against the DB), hop,
        adjacent ones together. A user's sync `filter_queryset` hops whole."""
        if overrides(self, "filter_queryset", GenericAPIView):
            return await call(self.filter_queryset, queryset)
        pending: list[Any] = []
        for backend in [backend() for backend in self.filter_backends]:
            if not is_async(backend.filter_queryset):
                if pending or type(backend) not in LAZY_FILTER_BACKENDS:
                    pending.append(backend)
                    continue
                try:
                    queryset = backend.filter_queryset(self.request, queryset, self)
                except SynchronousOnlyOperation:
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
        """`filter_queryset(get_queryset())`, built on the loop where it is lazy.

        A hop is taken only for sync filtering (see afilter_queryset) or a
        get_queryset that queries; when both need one, they share it.
        """
        if is_async(self.get_queryset):
            return await self.afilter_queryset(await self.get_queryset())
        try:
            queryset = self.get_queryset()
        except SynchronousOnlyOperation:
            if self._filters_block():
                return await run_sync(lambda: self.filter_queryset(self.get_queryset()))
            queryset = await run_sync(self.get_queryset)
        return await self.afilter_queryset(queryset)

    def _filters_block(self) -> bool:
        """Whether filtering is all sync, with some step that may block: one hop does it all."""
        if overrides(self, "filter_queryset", GenericAPIView):
            return not is_async(self.filter_queryset)
        backends = list(self.filter_backends)
        return not any(is_async(getattr(b, "filter_queryset", None)) for b in backends) and any(
            b not in LAZY_FILTER_BACKENDS for b in backends
        )

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
