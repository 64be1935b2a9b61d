from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tests import views

urlpatterns = [
    path("sync/", views.sync_hello),
    path("async/", views.async_hello),
    path("coroutine/", views.returns_coroutine),
    path("async-sleep/", views.async_sleep),
    path("sync-sleep/", views.sync_sleep),
    path("sync-thread/", views.sync_thread),
    path("async-threads/", views.async_threads),
    path("async-atomic/", views.async_atomic),
    path("db-connection/", views.db_connection),
    path("meta/", views.meta),
    path("méta/ü/", views.meta),
    path("body/", views.body),
    path("upload/", views.upload),
    path("stream-raw/", views.stream_raw),
    path("stream-sync/", views.stream_sync),
    path("stream-async/", views.stream_async),
    path("file/", views.big_file),
    path("pattern-file/", views.patterned_file),
    path("cookies/", views.cookies),
    path("tracked/", views.tracked),
    path("cancellable/", views.cancellable),
    path("counts/", views.counts),
    path("blocks-loop/", views.blocks_loop),
    path("outbound/", views.outbound),
    path("admin/", admin.site.urls),
    path("drf/", include("tests.drf_app.urls")),
    path("ws/", include("tests.ws_urls")),
    path("stream/", include("tests.stream_urls")),
]
