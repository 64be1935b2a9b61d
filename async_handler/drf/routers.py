"""adrf's routers: async viewsets routed to adrf's `a`-prefixed action names.

adrf's viewsets name their async actions `alist`, `acreate`, `aretrieve`,
`aupdate`, `partial_aupdate` and `adestroy`, and its routers route to those, so in
a view `self.action == "alist"`. These routers do the same, so adrf code moves over
by its imports alone: an action goes to its `a` name when the viewset has an
`async def` by that name, else to DRF's name when the viewset has that.

The package's own `async_handler.drf.DefaultRouter` and `SimpleRouter` are DRF's
routers, unchanged: this package's viewsets also answer to DRF's names (`list`
delegates to `alist`), which DRF's schema generation and action-based policies expect.
"""

from __future__ import annotations

from typing import Any

from rest_framework.routers import BaseRouter  # noqa: F401  (re-exported)
from rest_framework.routers import DefaultRouter as DRFDefaultRouter
from rest_framework.routers import SimpleRouter as DRFSimpleRouter

from ._util import is_async

__all__ = ["BaseRouter", "DRFDefaultRouter", "DRFSimpleRouter", "DefaultRouter", "SimpleRouter"]


class SimpleRouter(DRFSimpleRouter):
    """DRF's SimpleRouter, routing to a viewset's async `a`-named actions where it has them."""

    sync_to_async_action_map = {
        "list": "alist",
        "create": "acreate",
        "retrieve": "aretrieve",
        "update": "aupdate",
        "destroy": "adestroy",
        "partial_update": "partial_aupdate",
    }

    def get_method_map(self, viewset: Any, method_map: dict[str, str]) -> dict[str, str]:
        bound: dict[str, str] = {}
        for method, action in method_map.items():
            async_action = self.sync_to_async_action_map.get(action, action)
            if is_async(getattr(viewset, async_action, None)):
                bound[method] = async_action
            elif hasattr(viewset, action):
                bound[method] = action
        return bound


class DefaultRouter(SimpleRouter, DRFDefaultRouter):
    """DRF's DefaultRouter (API root, format suffixes) with SimpleRouter's action routing."""
