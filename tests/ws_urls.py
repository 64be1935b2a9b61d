"""WebSocket URLs, included under /ws/ by tests/urls.py."""

from __future__ import annotations

from django.urls import path

from async_handler.websocket import consumer_view
from tests import ws_views as v

urlpatterns = [
    path("echo/", v.echo),
    path("json/", v.echo_json),
    path("typed/", v.typed),
    path("closes/<int:code>/", v.closes),
    path("subprotocol/", v.subprotocol),
    path("whoami/", v.whoami),
    path("refuses/", v.refuses),
    path("closes-first/", v.closes_first),
    path("cancellable/", v.cancellable),
    path("cancellable-heartbeat/", v.cancellable_heartbeat),
    path("orm/", v.orm),
    path("raises/", v.raises),
    path("small/", v.small),
    path("heartbeat/", v.heartbeat),
    path("signals/", v.signals),
    path("room/<str:name>/", v.room),
    path("no-layer/", v.no_layer),
    path("pid/", v.pid),
    path("flood/", v.flood),
    path("open-plain/", v.open_plain),
    path("state/", v.state),
    path("backlog/", v.backlog),
    path("sits/<str:name>/", v.sits),
    path("released/", v.released),
    path("tried/", v.tried),
]

try:  # Channels is the websocket extra's; the Django 4.2 run of the core tests goes without
    from tests import ws_consumers as c
except ImportError:
    pass
else:
    urlpatterns += [
        path("consumer/async/<str:room>/", consumer_view(c.AsyncChat.as_asgi())),
        path("consumer/json/", consumer_view(c.JsonChat.as_asgi())),
        path("consumer/sync/", consumer_view(c.SyncChat.as_asgi())),
    ]
