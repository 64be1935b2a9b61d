"""URLs of the DRF test app, mounted by tests/urls.py at drf/."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter, SimpleRouter

from tests.drf_app import views, viewsets
from tests.drf_app.policies import (
    AsyncAllow,
    AsyncDeny,
    AsyncHeaderPermission,
    SyncDenyObject,
)

router = DefaultRouter()
router.register("notes", viewsets.NoteViewSet, basename="note")
router.register("paged-notes", viewsets.PagedNoteViewSet, basename="paged-note")
router.register("limit-notes", viewsets.LimitNoteViewSet, basename="limit-note")
router.register("owned-notes", viewsets.OwnedNoteViewSet, basename="owned-note")
router.register("plain-notes", viewsets.PlainSerializerViewSet, basename="plain-note")
router.register("adrf-notes", viewsets.AdrfStyleViewSet, basename="adrf-note")
router.register("mixed", viewsets.MixedViewSet, basename="mixed")

simple_router = SimpleRouter()
simple_router.register("notes", viewsets.NoteViewSet, basename="simple-note")

urlpatterns = [
    path("", include(router.urls)),
    path("simple/", include(simple_router.urls)),
    path("whoami/", views.WhoAmI.as_view()),
    path("session-only/", views.SessionOnly.as_view()),
    path("mixed-view/", views.Mixed.as_view()),
    path("failing/", views.Failing.as_view()),
    path("policies/", views.Policies.as_view()),
    path("async-policies/", views.AsyncPolicies.as_view()),
    path("sync-async-policies/", views.SyncWithAsyncPolicies.as_view()),
    path("upload/", views.Upload.as_view()),
    path("deny/", views.Composed.as_view(permission_classes=[AsyncDeny])),
    path("or/", views.Composed.as_view(permission_classes=[AsyncDeny | AsyncHeaderPermission])),
    path("and/", views.Composed.as_view(permission_classes=[AsyncAllow & AsyncHeaderPermission])),
    path("not/", views.Composed.as_view(permission_classes=[~AsyncDeny])),
    path("not-allow/", views.Composed.as_view(permission_classes=[~AsyncAllow])),
    path("manual-check/<int:pk>/", views.ManualObjectCheck.as_view()),
    path("forgotten-await/<int:pk>/", views.ForgottenAwait.as_view()),
    path("function/", views.function_view),
    path("function-throttled/", views.function_throttled),
    path("function-sync/", views.function_sync),
    path("generic/notes/", viewsets.NoteListCreate.as_view()),
    path("generic/notes/<int:pk>/", viewsets.NoteDetail.as_view()),
    path(
        "sync-object-denied/<int:pk>/",
        viewsets.NoteDetail.as_view(permission_classes=[SyncDenyObject]),
    ),
]
