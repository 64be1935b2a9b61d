"""Request and worker lifecycle: Django's request signals, pool thread hooks, startup hooks.

Django connects close_old_connections and reset_queries to request_started
and request_finished. Their work is per thread, so here they run on the pool
thread a request borrows, when it borrows and returns it, which keeps
CONN_MAX_AGE connections alive across requests exactly as under WSGI.
Receivers we do not know run as Django runs them, off the loop.
"""

from __future__ import annotations

import contextvars
import functools
import logging
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import signals
from django.core.handlers.base import reset_urlconf
from django.core.signals import setting_changed
from django.db import close_old_connections, connections, reset_queries
from django.dispatch import receiver
from django.http.response import HttpResponseBase
from django.utils.module_loading import import_string

from .. import conf

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .handler import CoreHandler

logger = logging.getLogger("async_handler")

_NO_IO_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.db.DatabaseCache",
}


def _receivers(signal: Any) -> list[Any]:
    live = signal._live_receivers(None)
    if isinstance(live, tuple):  # Django 5.0+: (sync, async)
        return [*live[0], *live[1]]
    return list(live)


_verdicts: dict[tuple[Any, ...], bool] = {}


def _cached(signal: Any, question: Any) -> bool:
    """Answer a question about a signal's receivers once per set of receivers.

    The lookup keys change whenever a receiver connects or disconnects, so
    they key the cache; a dead weak receiver forces a fresh look.
    """
    if signal._dead_receivers:
        return bool(question())
    key = (question, *(r[0] for r in signal.receivers))
    verdict = _verdicts.get(key)
    if verdict is None:
        if len(_verdicts) > 64:
            _verdicts.clear()
        verdict = _verdicts[key] = bool(question())
    return verdict


@functools.lru_cache(maxsize=1)
def _finished_inline_receivers() -> frozenset[Any]:
    known: set[Any] = {close_old_connections, reset_urlconf}
    backends = {c.get("BACKEND") for c in settings.CACHES.values()}
    if backends <= _NO_IO_CACHES:
        from django.core.cache import close_caches

        known.add(close_caches)
    return frozenset(known)


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":
        _finished_inline_receivers.cache_clear()
        _verdicts.clear()


def _started_has_others() -> bool:
    return any(r not in (close_old_connections, reset_queries)
               for r in _receivers(signals.request_started))


def _finished_all_inline() -> bool:
    return set(_receivers(signals.request_finished)) <= _finished_inline_receivers()


def started_needs_thread() -> bool:
    """Whether request_started has receivers beyond the per-thread DB ones."""
    return _cached(signals.request_started, _started_has_others)


def send_started(sender: type, kwargs: dict[str, Any]) -> None:
    """request_started, with environ= (WSGI front ends) or scope= (ASGI), as Django sends it."""
    signals.request_started.send(sender=sender, **kwargs)


def _started_resets_queries() -> bool:
    return reset_queries in _receivers(signals.request_started)


def _started_closes_old() -> bool:
    return close_old_connections in _receivers(signals.request_started)


def _finished_closes_old() -> bool:
    return close_old_connections in _receivers(signals.request_finished)


def on_thread_bind() -> None:
    """Runs on a pool thread before a request's first call: request_started's DB part."""
    if _cached(signals.request_started, _started_resets_queries):
        reset_queries()
    if _cached(signals.request_started, _started_closes_old):
        close_old_connections()


def on_thread_release() -> None:
    """Runs on a pool thread after a request's last call: request_finished's DB part."""
    if _cached(signals.request_finished, _finished_closes_old):
        close_old_connections()


def on_thread_rebind() -> None:
    """A release owed to the last request, then the next one's bind, on one thread.

    close_old_connections() would run twice in a row; once does the same.
    """
    closes = _cached(signals.request_finished, _finished_closes_old)
    if closes and not _cached(signals.request_started, _started_closes_old):
        close_old_connections()
    on_thread_bind()


def on_thread_switch() -> None:
    """Runs on a pool thread before a request's first call while others that used it live.

    request_started's health check, without closing a CONN_MAX_AGE = 0
    connection that live requests may still use: that one closes once they
    have all ended (on_thread_release).
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is None or conn.in_atomic_block:
            continue
        if conn.settings_dict["CONN_MAX_AGE"] != 0:
            conn.close_if_unusable_or_obsolete()
        elif conn.errors_occurred and not conn.is_usable():
            conn.close()


def thread_must_stay() -> bool:
    """Runs on a pool thread after a request's calls: keep the thread while a transaction is open.

    A transaction opened in sync code (transaction.atomic() entered in one
    call and left in a later one, or autocommit turned off) lives on this
    thread's connection, so the request's next calls must run here too.
    Otherwise a connection from Django's pool (OPTIONS["pool"], 5.1+) goes
    back to it now, so that threads do not hoard pooled connections.
    """
    stay = False
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.in_atomic_block or not conn.autocommit:
            stay = True
        elif conn.settings_dict["OPTIONS"].get("pool"):
            conn.close()
    return stay


def on_thread_stop() -> None:
    connections.close_all()


def _close(response: Any) -> None:
    try:
        response.close()
    except Exception:
        logger.exception("Error closing response %r", response)


def close_response(response: Any, executor: Executor) -> None:
    """Call response.close() (firing request_finished) on the loop when safe, else on the thread.

    It never waits: closing must happen even while the request is being
    cancelled, and the thread runs it before it is handed to the next request.
    """
    on_loop = (
        type(response).close is HttpResponseBase.close
        and not (response.streaming and not getattr(response, "is_async", False))
        and _cached(signals.request_finished, _finished_all_inline)
    )
    if on_loop:
        _close(response)
    else:
        executor.submit(contextvars.copy_context().run, _close, response)


async def run_hooks(name: str, app: CoreHandler) -> None:
    """Run the STARTUP or SHUTDOWN callables from settings, in order.

    Async hooks run on the loop; sync ones on a pool thread, like a request,
    so that their database connections follow CONN_MAX_AGE.
    """
    for path in conf.get(name):
        hook = import_string(path) if isinstance(path, str) else path
        async with app.request_scope():
            if iscoroutinefunction(hook):
                await hook()
            else:
                await app.run_sync(hook)
