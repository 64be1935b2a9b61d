from __future__ import annotations

from django.urls import path

from tests import stream_views

urlpatterns = [
    path("digest/", stream_views.digest),
    path("digest-csrf/", stream_views.digest_csrf),
    path("swallow/", stream_views.swallow),
    path("first-bytes/", stream_views.first_bytes),
    path("parts/", stream_views.parts),
    path("class/", stream_views.DigestView.as_view()),
    path("reads-body/", stream_views.reads_body),
]
