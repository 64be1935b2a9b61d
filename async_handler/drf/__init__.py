"""Async Django REST framework views, viewsets, generics and serializers.

The only part of async_handler that imports rest_framework (install the `drf`
extra). Names follow DRF and adrf, so moving over is an import change::

    from async_handler.drf import ModelViewSet, ModelSerializer, api_view
"""

from __future__ import annotations

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
from .requests import AsyncRequest
from .routers import DefaultRouter, SimpleRouter
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
    "APIView", "AsyncRequest", "BaseSerializer", "CreateAPIView", "CreateModelMixin",
    "DefaultRouter", "DestroyAPIView", "DestroyModelMixin", "GenericAPIView", "GenericViewSet",
    "HyperlinkedModelSerializer", "ListAPIView", "ListCreateAPIView", "ListModelMixin",
    "ListSerializer", "ModelSerializer", "ModelViewSet", "ReadOnlyModelViewSet",
    "RetrieveAPIView", "RetrieveDestroyAPIView", "RetrieveModelMixin", "RetrieveUpdateAPIView",
    "RetrieveUpdateDestroyAPIView", "Serializer", "SerializerMethodField", "SimpleRouter",
    "UpdateAPIView", "UpdateModelMixin", "ViewSet", "ViewSetMixin", "action",
    "aget_object_or_404", "api_view", "authentication_classes", "parser_classes",
    "permission_classes", "renderer_classes", "throttle_classes",
]
