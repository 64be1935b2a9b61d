"""Root URLs: the demo views, the DRF API, the admin, and static files served for the demo.

Serving ``STATIC_ROOT`` through ``django.views.static.serve`` is for this demo only, so that
``make run`` needs nothing but gunicorn. In production, nginx (or another web server) serves
the collected files and this route is dropped. ``api-auth/`` holds DRF's login and logout
views, which the browsable API links to. ``/favicon.ico``, which browsers ask for on every page
(the admin's and DRF's too), is the demo app's icon from ``STATIC_ROOT``.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("", include("demo.urls")),
    path("api/", include("api.urls")),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", serve, {"path": "demo/favicon.ico", "document_root": settings.STATIC_ROOT}),
    re_path(
        rf"^{re.escape(settings.STATIC_URL.lstrip('/'))}(?P<path>.*)$",
        serve,
        {"document_root": settings.STATIC_ROOT},
    ),
]
