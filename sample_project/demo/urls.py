"""URLs of the demo views, namespaced ``demo``."""
from __future__ import annotations

from django.urls import path

from demo import async_views, chat, upload, views

app_name = "demo"

urlpatterns = [
    path("", views.index, name="index"),
    path("sync/", views.sync_view, name="sync"),
    path("messages/", views.add_message, name="add-message"),
    path("stream/sync/", views.stream_sync, name="stream-sync"),
    path("async/", async_views.async_view, name="async"),
    path("slow/", async_views.slow, name="slow"),
    path("fanout/", async_views.fanout, name="fanout"),
    path("stream/async/", async_views.stream_async, name="stream-async"),
    path("chat/<slug:room>/", chat.chat_page, name="chat"),
    path("ws/chat/<slug:room>/", chat.chat_socket, name="chat-socket"),
    path("upload/", upload.upload_page, name="upload"),
    path("upload/raw/", upload.hash_raw, name="upload-raw"),
    path("upload/parts/", upload.hash_parts, name="upload-parts"),
]
