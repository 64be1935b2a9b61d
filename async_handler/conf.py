"""async_handler's settings: one ASYNC_HANDLER dict in Django settings, with defaults here."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Threads for sync views and other blocking Django code, per worker process.
    # None: gunicorn's --threads when it is above 1, else 16.
    "THREADS": None,
    # Start with two of those threads taken at once and allow more only while
    # the taken ones mostly wait rather than compute (see tuner.py). False: all
    # THREADS may be taken at once, as with gthread.
    "ADAPTIVE_THREADS": True,
    # True: a request keeps the pool thread of its first sync call until it
    # ends, so thread-local state set in one sync call is seen by the next (as
    # under Django's ASGIHandler), at the cost of a thread per in-flight
    # request. False: a thread is held only while a call runs or a
    # transaction opened in sync code is still open.
    "THREAD_PER_REQUEST": False,
    # Largest request body the server accepts at all (413 past it); None for no cap.
    # Django's DATA_UPLOAD_MAX_MEMORY_SIZE still applies to non-multipart bodies, except
    # those a @stream_body view reads as they arrive (README "Streaming uploads").
    "MAX_BODY_SIZE": 1024 * 1024 * 1024,
    # Log a warning naming the view when the event loop is blocked this long (seconds).
    # None or 0 turns the watch off.
    "SLOW_CALLBACK_WARNING": 0.5,
    # Connections the shared client session (async_handler.client.session()) may
    # have open at once, to all hosts together; None or 0 for no limit.
    "CLIENT_MAX_CONNECTIONS": 1000,
    # Dotted paths of async callables run on the worker's loop at startup and shutdown.
    "STARTUP": [],
    "SHUTDOWN": [],
    # Extra middleware classes (dotted paths) whose sync hooks do no I/O and may
    # therefore run on the event loop, in addition to the built-in list.
    "INLINE_MIDDLEWARE": [],
    # WebSocket views (async_handler.websocket), each overridable per view on the decorator.
    # Seconds between pings; a client that does not answer within half of it is dropped
    # and its view cancelled. None: no pings.
    "WEBSOCKET_HEARTBEAT": 20.0,
    # Largest message a client may send, in bytes; past it the socket closes with 1009.
    # 0: no limit.
    "WEBSOCKET_MAX_MESSAGE_SIZE": 1024 * 1024,
    # Offer permessage-deflate compression to clients that ask for it.
    "WEBSOCKET_COMPRESSION": True,
    # Seconds a send may wait for a client that does not read (the send buffer is full);
    # past it the connection is dropped and the view cancelled. None: wait for ever.
    "WEBSOCKET_SEND_TIMEOUT": 30.0,
    # Channel layer calls (group_add, group_discard, group_send) a worker process makes at
    # once for WebSocket groups; more wait their turn. redis-py 8's pool fails past 100
    # connections instead of waiting, so a burst of 500 joins failed without this bound.
    "CHANNEL_LAYER_CONCURRENCY": 32,
}


def get(name: str) -> Any:
    """Return one setting, falling back to its default."""
    user = getattr(settings, "ASYNC_HANDLER", None) or {}
    if name in user:
        return user[name]
    return DEFAULTS[name]


def unknown_keys() -> list[str]:
    user = getattr(settings, "ASYNC_HANDLER", None) or {}
    return sorted(set(user) - set(DEFAULTS))
