"""URLs of the concurrency tests (tests/concurrency_views.py)."""

from __future__ import annotations

from django.urls import path

from tests import concurrency_views as v

urlpatterns = [
    path("auser-sleep/", v.auser_sleep),
    path("orm-sleep/", v.orm_sleep),
    path("orm-upstream/", v.orm_upstream),
    path("sync-hello/", v.sync_hello),
    path("thread-local/", v.read_thread_local),
    path("write-in-transaction/", v.write_in_transaction),
    path("stats/", v.stats),
    path("cancellable/", v.cancellable),
]
