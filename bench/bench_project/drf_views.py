"""The DRF list row's rest_framework viewsets: ours (async_handler.drf) and plain DRF (sync).

Both list the 100 `Item` rows with the same three-field ModelSerializer. The adrf twin lives in
`drf_adrf.py`, since adrf is optional.
"""

from __future__ import annotations

from rest_framework import serializers as drf_serializers
from rest_framework import viewsets as drf_viewsets
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from async_handler import drf as ours

from .models import Item

ITEM_FIELDS = ("id", "name", "price")


class NoPolicies:
    """Mixed in first by all three viewsets: no auth, throttles or pagination, JSON only.

    So the row measures view, serializer and server, and every stack does the same work.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    renderer_classes = (JSONRenderer,)
    pagination_class = None


class OursItemSerializer(ours.ModelSerializer):
    class Meta:
        model = Item
        fields = ITEM_FIELDS


class OursItemViewSet(NoPolicies, ours.ModelViewSet):
    """Async ModelViewSet on our worker, routed by DRF's own router under the standard names."""

    queryset = Item.objects.order_by("id")
    serializer_class = OursItemSerializer


class SyncItemSerializer(drf_serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ITEM_FIELDS


class SyncItemViewSet(NoPolicies, drf_viewsets.ModelViewSet):
    """DRF's own sync ModelViewSet: the gthread baseline."""

    queryset = Item.objects.order_by("id")
    serializer_class = SyncItemSerializer
