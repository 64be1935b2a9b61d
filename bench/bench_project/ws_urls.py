"""The WebSocket section's URLs on our worker: the bench project's, plus the sockets."""

from __future__ import annotations

from django.urls import path

from async_handler.websocket import consumer_view

from . import ws_views
from .urls import urlpatterns as base

urlpatterns = [
    *base,
    path("ws/echo/", ws_views.echo),
    path("ws/fanout/", ws_views.fanout),
    path("ws/fanout-socket/", ws_views.fanout_socket),
    # The same Channels consumers as on uvicorn, through consumer_view.
    path("ws/consumer/echo/", consumer_view(ws_views.EchoConsumer.as_asgi())),
    path("ws/consumer/fanout/", consumer_view(ws_views.FanoutConsumer.as_asgi())),
]
