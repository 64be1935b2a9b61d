"""URLs of the demo API, namespaced ``api``: DRF's own DefaultRouter, the stats view, a schema."""
from __future__ import annotations

from django.urls import include, path
from rest_framework.renderers import JSONOpenAPIRenderer
from rest_framework.routers import DefaultRouter
from rest_framework.schemas import get_schema_view

from api import views

app_name = "api"

router = DefaultRouter()
router.register("notes", views.NoteViewSet, basename="note")

schema_view = get_schema_view(
    title="async_handler demo API",
    description="Notes served by async_handler.drf's async ModelViewSet.",
    version="1.0.0",
    renderer_classes=[JSONOpenAPIRenderer],
)

urlpatterns = [
    path("stats/", views.stats, name="stats"),
    path("schema/", schema_view, name="schema"),
    path("", include(router.urls)),
]
