"""`@api_view` for `async def` (and plain) function views, plus DRF's policy decorators.

The policy decorators (`permission_classes`, `throttle_classes`, ...) and `@action`
are DRF's own: they only set attributes, which the class built here reads.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from rest_framework.decorators import (  # noqa: F401  (re-exported)
    MethodMapper,
    action,
    authentication_classes,
    content_negotiation_class,
    metadata_class,
    parser_classes,
    permission_classes,
    renderer_classes,
    schema,
    throttle_classes,
    versioning_class,
)

try:  # DRF 3.18+; older releases (the last for Django 4.2) lack it
    from rest_framework.decorators import throttle_scope  # noqa: F401
except ImportError:  # pragma: no cover
    pass

from ._util import is_async
from .views import APIView

# Attributes a policy decorator may have set on the function, copied onto the view
# class exactly as DRF's api_view copies them.
_POLICIES = (
    "renderer_classes",
    "parser_classes",
    "authentication_classes",
    "throttle_classes",
    "permission_classes",
    "content_negotiation_class",
    "metadata_class",
    "versioning_class",
    "schema",
)


def api_view(http_method_names: list[str] | tuple[str, ...] | None = None) -> Callable[..., Any]:
    """Turn a function view into an APIView; `async def` functions are awaited."""
    methods = ["GET"] if http_method_names is None else http_method_names
    assert not isinstance(methods, types.FunctionType), (
        "@api_view is missing its list of HTTP methods: write @api_view(['GET'])"
    )
    assert isinstance(methods, (list, tuple)), (
        f"@api_view expects a list of HTTP method names, not {type(methods).__name__}"
    )

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        async def async_handler(self: APIView, *args: Any, **kwargs: Any) -> Any:
            return await func(*args, **kwargs)

        def sync_handler(self: APIView, *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        handler = async_handler if is_async(func) else sync_handler

        attrs: dict[str, Any] = {
            "__doc__": func.__doc__,
            "__module__": func.__module__,
            "http_method_names": [m.lower() for m in {*methods, "options"}],
            "throttle_scope": getattr(func, "throttle_scope", None),
        }
        attrs.update({name: getattr(func, name, getattr(APIView, name)) for name in _POLICIES})
        attrs.update({method.lower(): handler for method in methods})
        view_class: Any = type(func.__name__, (APIView,), attrs)
        return view_class.as_view()

    return decorator
