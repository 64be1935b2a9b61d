"""Whether a request goes to a @stream_body view, found from its head alone, and who read a body.

The core asks before reading a body: it resolves the path against
ROOT_URLCONF (as Django will) and looks for the decorator's mark on the
view, or on a class-based view's dispatch or method handler. Answers are
cached per (path, method), so a request with a body pays one dict lookup;
requests without a body never ask.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.urls import Resolver404, get_resolver
from django.utils.module_loading import import_string

#: The attribute @stream_body sets on the views it wraps.
STREAM_MARK = "_async_handler_stream_body"
#: Paths answered; cleared when full, so a site with unbounded paths (ids in URLs) stays bounded.
_CACHE_SIZE = 4096
_answers: dict[tuple[str, str], bool] = {}


def marked(callback: Any, method: str) -> bool:
    """True if `callback`, as resolved, serves `method` through a @stream_body view."""
    if getattr(callback, STREAM_MARK, False):
        return True
    view_class = getattr(callback, "view_class", None)
    if view_class is None:
        return False
    if getattr(getattr(view_class, "dispatch", None), STREAM_MARK, False):
        return True
    return bool(getattr(getattr(view_class, method.lower(), None), STREAM_MARK, False))


def streams(path_info: str, method: str) -> bool:
    """Whether ROOT_URLCONF sends `method path_info` to a @stream_body view."""
    key = (path_info, method)
    answer = _answers.get(key)
    if answer is None:
        try:
            match = get_resolver(settings.ROOT_URLCONF).resolve(path_info)
        except Resolver404:
            answer = False
        else:
            answer = marked(match.func, method)
        if len(_answers) >= _CACHE_SIZE:
            _answers.clear()
        _answers[key] = answer
    return answer


def clear() -> None:
    """Forget the answers (a test that swaps ROOT_URLCONF)."""
    _answers.clear()


_middleware: dict[type, str] | None = None


def reading_middleware() -> str | None:
    """The settings.MIDDLEWARE entry whose code is on the calling stack, innermost first."""
    global _middleware
    if _middleware is None:
        found: dict[type, str] = {}
        for path in settings.MIDDLEWARE:
            try:
                found[import_string(path)] = path
            except ImportError:
                continue
        _middleware = found
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if owner is not None:
            for cls in type(owner).__mro__:
                found_path = _middleware.get(cls)
                if found_path is not None:
                    return found_path
        frame = frame.f_back  # type: ignore[assignment]
    return None
