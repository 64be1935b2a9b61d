"""Which middleware hooks may run on the event loop, and when they must not.

Django's async path sends every sync middleware method through
sync_to_async: fifteen thread hops per request with the default MIDDLEWARE.
Most of those methods only read headers and set attributes, so running them
on the loop is safe. The ones listed here were read line by line (Django 4.2
to 5.2): they do no I/O, or do it only in a case the predicate detects, in
which case the hook runs on the request's thread instead. Subclasses are not
trusted: a subclass may add I/O, so only the exact classes are listed.
"""

from __future__ import annotations

from typing import Any, Callable

from django.conf import settings
from django.utils.module_loading import import_string

from .. import conf

# A predicate answers "does this call need a thread?" for (request, response).
Predicate = Callable[[Any, Any], bool]
ALWAYS_INLINE = None


def _session_will_save(request: Any, response: Any) -> bool:
    # SessionMiddleware.process_response writes to the session store only on
    # this branch; everything else touches cookies and headers.
    session = getattr(request, "session", None)
    if session is None:
        return False
    if not (session.modified or settings.SESSION_SAVE_EVERY_REQUEST):
        return False
    return not session.is_empty()


def _messages_will_store(request: Any, response: Any) -> bool:
    # MessageMiddleware.process_response stores messages (possibly in the
    # session, which loads it from the database) only when they were read or
    # added during the request.
    storage = getattr(request, "_messages", None)
    return storage is not None and bool(storage.used or storage.added_new)


def _csrf_view_reads_body(request: Any, response: Any) -> bool:
    # For safe methods process_view accepts at once; for others it may parse
    # request.POST (spooling uploads to disk) or call CSRF_FAILURE_VIEW.
    return request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")


def _known_rules() -> dict[str, dict[str, Predicate | None]]:
    rules: dict[str, dict[str, Predicate | None]] = {
        "django.middleware.security.SecurityMiddleware": {
            "process_request": ALWAYS_INLINE,
            "process_response": ALWAYS_INLINE,
        },
        "django.contrib.sessions.middleware.SessionMiddleware": {
            # process_request only builds a lazy SessionStore.
            "process_request": ALWAYS_INLINE,
            "process_response": _session_will_save,
        },
        "django.middleware.common.CommonMiddleware": {
            "process_request": ALWAYS_INLINE,
            "process_response": ALWAYS_INLINE,
        },
        "django.contrib.auth.middleware.AuthenticationMiddleware": {
            # request.user stays lazy; async views use `await request.auser()`.
            "process_request": ALWAYS_INLINE,
        },
        "django.contrib.messages.middleware.MessageMiddleware": {
            "process_request": ALWAYS_INLINE,
            "process_response": _messages_will_store,
        },
        "django.middleware.clickjacking.XFrameOptionsMiddleware": {
            "process_response": ALWAYS_INLINE,
        },
        "django.middleware.locale.LocaleMiddleware": {
            "process_request": ALWAYS_INLINE,
            "process_response": ALWAYS_INLINE,
        },
        "django.middleware.gzip.GZipMiddleware": {"process_response": ALWAYS_INLINE},
        "django.middleware.http.ConditionalGetMiddleware": {
            "process_response": ALWAYS_INLINE,
        },
    }
    if not settings.CSRF_USE_SESSIONS:
        # With CSRF_USE_SESSIONS the secret lives in the session: every hook
        # may load it from the database, so none of them is listed.
        rules["django.middleware.csrf.CsrfViewMiddleware"] = {
            "process_request": ALWAYS_INLINE,
            "process_view": _csrf_view_reads_body,
            "process_response": ALWAYS_INLINE,
        }
    return rules


class Hook:
    """One middleware method and where it may run."""

    __slots__ = ("fn", "is_async", "inline", "needs_thread", "name")

    def __init__(
        self, fn: Callable[..., Any], *, is_async: bool, inline: bool,
        needs_thread: Predicate | None = None,
    ) -> None:
        self.fn = fn
        self.is_async = is_async
        self.inline = inline
        self.needs_thread = needs_thread
        self.name = getattr(fn, "__qualname__", repr(fn))

    def on_loop(self, request: Any, response: Any = None) -> bool:
        """True when this sync hook may run on the loop for this call."""
        if not self.inline:
            return False
        return self.needs_thread is None or not self.needs_thread(request, response)


class Rules:
    """Classifies the hooks of middleware instances, built once per handler."""

    def __init__(self) -> None:
        self._rules = _known_rules()
        for path in conf.get("INLINE_MIDDLEWARE"):
            import_string(path)  # fail at startup on a typo, not silently
            self._rules[path] = {
                "process_request": ALWAYS_INLINE,
                "process_view": ALWAYS_INLINE,
                "process_response": ALWAYS_INLINE,
                "process_template_response": ALWAYS_INLINE,
            }

    def hook(self, instance: Any, method: str) -> Hook | None:
        from asgiref.sync import iscoroutinefunction

        fn = getattr(instance, method, None)
        if fn is None:
            return None
        if iscoroutinefunction(fn):
            return Hook(fn, is_async=True, inline=False)
        cls = type(instance)
        table = self._rules.get(f"{cls.__module__}.{cls.__qualname__}", {})
        if method in table:
            return Hook(fn, is_async=False, inline=True, needs_thread=table[method])
        return Hook(fn, is_async=False, inline=False)


# Renderer classes whose render() is CPU only (async_handler.drf adds DRF's
# JSONRenderer). A response they render is rendered on the loop, without a
# hop, when no process_template_response hook could change it first.
INLINE_RENDERERS: set[type] = set()


def renders_on_loop(response: Any) -> bool:
    """Whether rendering this response is known to do no I/O."""
    if getattr(response, "is_rendered", False):
        return True  # render() returns at once
    return type(getattr(response, "accepted_renderer", None)) in INLINE_RENDERERS
