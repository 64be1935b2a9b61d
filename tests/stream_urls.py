from __future__ import annotations

import django
from django.urls import path

from tests import stream_views

urlpatterns = [
    path("digest/", stream_views.digest),
    path("digest-csrf/", stream_views.digest_csrf),
    path("swallow/", stream_views.swallow),
    path("first-bytes/", stream_views.first_bytes),
    path("parts/", stream_views.parts),
    path("reads-body/", stream_views.reads_body),
]

# Django 4.2's method_decorator hands View a sync wrapper around an async post(), which
# View.as_view() refuses ("must either be all sync or all async"); 5.0 keeps it async.
if django.VERSION >= (5, 0):
    urlpatterns.append(path("class/", stream_views.DigestView.as_view()))
