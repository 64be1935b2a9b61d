"""Root URLs: the demo views, the admin, and static files served by Django for the demo.

Serving ``STATIC_ROOT`` through ``django.views.static.serve`` is for this demo only, so that
``make run`` needs nothing but gunicorn. In production, nginx (or another web server) serves
the collected files and this route is dropped. A DRF ``api`` app can be mounted here later.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("", include("demo.urls")),
    path("admin/", admin.site.urls),
    re_path(
        rf"^{re.escape(settings.STATIC_URL.lstrip('/'))}(?P<path>.*)$",
        serve,
        {"document_root": settings.STATIC_ROOT},
    ),
]
