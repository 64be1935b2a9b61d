"""Async Django REST framework views, viewsets, generics and serializers.

The only part of async_handler that imports rest_framework (install the `drf`
extra). Names follow DRF and adrf, so moving over is an import change::

    from async_handler.drf import ModelViewSet, ModelSerializer, api_view
"""

from __future__ import annotations

# DRF's own routers: this package's viewsets answer to DRF's action names. adrf's
# routers, which route to its `alist`-style names, are in async_handler.drf.routers.
from rest_framework.routers import DefaultRouter, SimpleRouter

from .decorators import (
    action,
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
    renderer_classes,
    throttle_classes,
)
from .generics import (
    CreateAPIView,
    DestroyAPIView,
    GenericAPIView,
    ListAPIView,
    ListCreateAPIView,
    RetrieveAPIView,
    RetrieveDestroyAPIView,
    RetrieveUpdateAPIView,
    RetrieveUpdateDestroyAPIView,
    UpdateAPIView,
)
from .mixins import (
    CreateModelMixin,
    DestroyModelMixin,
    ListModelMixin,
    RetrieveModelMixin,
    UpdateModelMixin,
)
from .permissions import AsyncBasePermission
from .requests import AsyncRequest
from .serializers import (
    BaseSerializer,
    HyperlinkedModelSerializer,
    ListSerializer,
    ModelSerializer,
    Serializer,
    SerializerMethodField,
)
from .shortcuts import aget_object_or_404
from .views import APIView
from .viewsets import (
    GenericViewSet,
    ModelViewSet,
    ReadOnlyModelViewSet,
    ViewSet,
    ViewSetMixin,
)

__all__ = [
    "APIView", "AsyncBasePermission", "AsyncRequest", "BaseSerializer", "CreateAPIView",
    "CreateModelMixin",
    "DefaultRouter", "DestroyAPIView", "DestroyModelMixin", "GenericAPIView", "GenericViewSet",
    "HyperlinkedModelSerializer", "ListAPIView", "ListCreateAPIView", "ListModelMixin",
    "ListSerializer", "ModelSerializer", "ModelViewSet", "ReadOnlyModelViewSet",
    "RetrieveAPIView", "RetrieveDestroyAPIView", "RetrieveModelMixin", "RetrieveUpdateAPIView",
    "RetrieveUpdateDestroyAPIView", "Serializer", "SerializerMethodField", "SimpleRouter",
    "UpdateAPIView", "UpdateModelMixin", "ViewSet", "ViewSetMixin", "action",
    "aget_object_or_404", "api_view", "authentication_classes", "parser_classes",
    "permission_classes", "renderer_classes", "throttle_classes",
]
