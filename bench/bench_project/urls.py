"""URL table of the benchmark project."""

from __future__ import annotations

from django.urls import path

from . import drf_urls, pg_views, upload_views, views

urlpatterns = [
    path("hello/sync/", views.hello_sync),
    path("hello/async/", views.hello_async),
    path("sleep/async/", views.sleep_async),
    path("orm/sync/", views.orm_sync),
    path("orm/async/", views.orm_async),
    path("json/async/", views.json_async),
    path("file/big/", views.big_file),
    # The PostgreSQL section's views; they also run on SQLite.
    path("pg/auser-sleep/", pg_views.auser_sleep),
    path("pg/orm-sleep/", pg_views.orm_sleep),
    path("pg/orm-upstream/", pg_views.orm_upstream),
    *drf_urls.patterns(),
    # The upload section's hashing views (upload_views.py).
    path("upload/spooled/", upload_views.hash_spooled),
    *(
        [path("upload/streamed/", upload_views.hash_streamed)]
        if upload_views.hash_streamed is not None
        else []
    ),
]
