"""ViewSets whose async actions work with DRF's own DefaultRouter and SimpleRouter.

DRF's routers look actions up by their standard names and call `as_view(actions)`;
the view DRF returns is a plain function, so Django would call it synchronously.
Here, when any routed action is `async def`, that function is wrapped in a real
coroutine function carrying the same attributes (`cls`, `actions`, `initkwargs`,
`csrf_exempt`), which Django awaits and DRF's schema generation still reads.
"""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.utils.decorators import classonlymethod
from django.utils.functional import classproperty  # noqa: F401  (adrf's re-exports)
from rest_framework import viewsets as drf_viewsets
from rest_framework.viewsets import ViewSetMixin as DRFViewSetMixin  # noqa: F401

from . import mixins
from ._util import is_async
from .generics import GenericAPIView
from .utils import getmembers  # noqa: F401
from .views import APIView

__all__ = ["GenericViewSet", "ModelViewSet", "ReadOnlyModelViewSet", "ViewSet", "ViewSetMixin"]


class ViewSetMixin(drf_viewsets.ViewSetMixin):
    @classonlymethod
    def as_view(cls, actions: dict[str, str] | None = None, **initkwargs: Any) -> Any:
        view = super().as_view(actions, **initkwargs)
        routed = [name for method, name in (actions or {}).items() if method != "options"]
        if not any(is_async(getattr(cls, name, None)) for name in routed):
            return view

        async def async_view(request: Any, *args: Any, **kwargs: Any) -> Any:
            # DRF's view binds the actions and returns APIView.dispatch's coroutine.
            return await view(request, *args, **kwargs)

        return update_wrapper(async_view, view)


class ViewSet(ViewSetMixin, APIView):
    """No actions of its own; define `async def list(self, request)` and so on."""


class GenericViewSet(ViewSetMixin, GenericAPIView):
    """GenericAPIView's behaviour (querysets, serializers, aget_object) without actions."""


class ReadOnlyModelViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, GenericViewSet):
    """Async `list` and `retrieve`."""


class ModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    GenericViewSet,
):
    """Async `list`, `create`, `retrieve`, `update`, `partial_update` and `destroy`."""
