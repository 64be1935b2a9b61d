"""URL table of the benchmark project."""

from __future__ import annotations

from django.urls import path

from . import drf_urls, views

urlpatterns = [
    path("hello/sync/", views.hello_sync),
    path("hello/async/", views.hello_async),
    path("sleep/async/", views.sleep_async),
    path("orm/sync/", views.orm_sync),
    path("orm/async/", views.orm_async),
    path("json/async/", views.json_async),
    path("file/big/", views.big_file),
    *drf_urls.patterns(),
]
