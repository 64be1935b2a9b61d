"""Channels on uvicorn, as a Channels user deploys it: ProtocolTypeRouter, origin check,
AuthMiddlewareStack and URLRouter in front of the same consumers as ws_urls.py mounts."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_project.ws_settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from . import ws_views  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        path("ws/consumer/echo/", ws_views.EchoConsumer.as_asgi()),
                        path("ws/consumer/fanout/", ws_views.FanoutConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)
