"""URLs of the DRF list row: /drf/ours/items/, /drf/sync/items/ and, with adrf, /drf/adrf/items/.

Each part is mounted only when its package is installed, so the rest of the bench project keeps
working without them; `bench/run.py` then skips the row, or just its adrf stack.
"""

from __future__ import annotations

from importlib.util import find_spec

from django.urls import URLPattern, URLResolver, include, path

Patterns = list[URLPattern | URLResolver]


def patterns() -> Patterns:
    """The routers' URL patterns for whichever of rest_framework and adrf import."""
    if find_spec("rest_framework") is None:
        return []
    from rest_framework.routers import SimpleRouter

    from .drf_views import OursItemViewSet, SyncItemViewSet

    ours, sync = SimpleRouter(), SimpleRouter()
    ours.register("items", OursItemViewSet, basename="ours-item")
    sync.register("items", SyncItemViewSet, basename="sync-item")
    found: Patterns = [path("drf/ours/", include(ours.urls)), path("drf/sync/", include(sync.urls))]
    if find_spec("adrf") is not None:
        from adrf.routers import SimpleRouter as AdrfRouter

        from .drf_adrf import AdrfItemViewSet

        adrf = AdrfRouter()
        adrf.register("items", AdrfItemViewSet, basename="adrf-item")
        found.append(path("drf/adrf/", include(adrf.urls)))
    return found
