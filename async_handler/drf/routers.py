"""DRF's own routers, re-exported: async viewsets here keep DRF's action names, so they need
no router of their own (adrf's routers exist only to map to its `alist`-style names)."""

from __future__ import annotations

from rest_framework.routers import BaseRouter, DefaultRouter, SimpleRouter

__all__ = ["BaseRouter", "DefaultRouter", "SimpleRouter"]
