"""The DRF list row's adrf viewset, served under gunicorn -k asgi; imported only when adrf is.

Same rows, fields and policies as `drf_views.py`. adrf routes its async actions (`alist`, ...)
only through its own routers, which `drf_urls.py` uses for this viewset.
"""

from __future__ import annotations

from adrf import serializers as adrf_serializers
from adrf import viewsets as adrf_viewsets

from .drf_views import ITEM_FIELDS, NoPolicies
from .models import Item


class AdrfItemSerializer(adrf_serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ITEM_FIELDS


class AdrfItemViewSet(NoPolicies, adrf_viewsets.ModelViewSet):
    """adrf's async ModelViewSet: the async DRF baseline on Django's ASGI handler."""

    queryset = Item.objects.order_by("id")
    serializer_class = AdrfItemSerializer
