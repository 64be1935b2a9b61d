"""Model mixins whose standard actions (list, create, retrieve, update, partial_update,
destroy) are `async def`, so DRF's routers and schema generation find them by name.

Each action delegates to adrf's name for it (`alist`, `acreate`, `aretrieve`,
`aupdate`, `partial_aupdate`, `adestroy`), so code written against either library
can override either name. A user's own `perform_create`/`perform_update`/
`perform_destroy` (sync or async) is called as DRF would; otherwise saving uses the
serializer's `asave()` and deletion `adelete()`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import mixins as drf_mixins
from rest_framework import status
from rest_framework.response import Response

from ._util import call, overrides
from .serializers import adata, ais_valid, asave

# adrf's name for `await adata(serializer)`: `.adata` if it has one, else `.data` in a hop.
get_data = adata


async def _request_data(request: Any) -> Any:
    adata_ = getattr(request, "adata", None)
    return await adata_ if adata_ is not None else request.data


class CreateModelMixin(drf_mixins.CreateModelMixin):
    async def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return await self.acreate(request, *args, **kwargs)

    async def acreate(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        serializer = view.get_serializer(data=await _request_data(request))
        await ais_valid(serializer, raise_exception=True)
        await self.perform_acreate(serializer)
        data = await adata(serializer)
        headers = self.get_success_headers(data)
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    async def perform_acreate(self, serializer: Any) -> None:
        if overrides(self, "perform_create", drf_mixins.CreateModelMixin):
            await call(self.perform_create, serializer)
        else:
            await asave(serializer)


class ListModelMixin(drf_mixins.ListModelMixin):
    async def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return await self.alist(request, *args, **kwargs)

    async def alist(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        queryset = await view.afiltered_queryset()
        page = await view.apaginate_queryset(queryset)
        if page is not None:
            serializer = view.get_serializer(page, many=True)
            return await view.get_apaginated_response(await adata(serializer))
        serializer = view.get_serializer(queryset, many=True)
        return Response(await adata(serializer))


class RetrieveModelMixin(drf_mixins.RetrieveModelMixin):
    async def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return await self.aretrieve(request, *args, **kwargs)

    async def aretrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        instance = await view.aget_object()
        return Response(await adata(view.get_serializer(instance)))


class UpdateModelMixin(drf_mixins.UpdateModelMixin):
    async def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return await self.aupdate(request, *args, **kwargs)

    async def aupdate(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        partial = kwargs.pop("partial", False)
        instance = await view.aget_object()
        serializer = view.get_serializer(
            instance, data=await _request_data(request), partial=partial
        )
        await ais_valid(serializer, raise_exception=True)
        await self.perform_aupdate(serializer)
        if getattr(instance, "_prefetched_objects_cache", None):
            # The update may have changed prefetched relations; drop the stale cache,
            # as DRF does.
            instance._prefetched_objects_cache = {}
        return Response(await adata(serializer))

    async def perform_aupdate(self, serializer: Any) -> None:
        if overrides(self, "perform_update", drf_mixins.UpdateModelMixin):
            await call(self.perform_update, serializer)
        else:
            await asave(serializer)

    async def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return await self.partial_aupdate(request, *args, **kwargs)

    async def partial_aupdate(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # Through `update`, as DRF's partial_update is, so an override of either runs.
        kwargs["partial"] = True
        return await call(self.update, request, *args, **kwargs)


class DestroyModelMixin(drf_mixins.DestroyModelMixin):
    async def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return await self.adestroy(request, *args, **kwargs)

    async def adestroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        instance = await view.aget_object()
        await self.perform_adestroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    async def perform_adestroy(self, instance: Any) -> None:
        if overrides(self, "perform_destroy", drf_mixins.DestroyModelMixin):
            await call(self.perform_destroy, instance)
        else:
            await instance.adelete()
