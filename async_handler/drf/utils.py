"""adrf's `getmembers`: `inspect.getmembers` that can leave names out.

Listing a view class's members with `inspect.getmembers` evaluates every class
property on it, `view_is_async` included, which itself lists the members; leaving
such names out breaks that recursion.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any


def getmembers(
    obj: Any, predicate: Callable[[Any], bool] | None = None, exclude_names: Iterable[str] = ()
) -> list[tuple[str, Any]]:
    """`(name, value)` pairs of `obj`'s attributes, sorted by name, without `exclude_names`.

    Values come from getattr, or, for attributes whose descriptor refuses, from the
    first class in the MRO that defines them; names that resolve neither way are skipped.
    """
    excluded = set(exclude_names)
    mro = inspect.getmro(obj) if inspect.isclass(obj) else ()
    members: dict[str, Any] = {}
    for name in dir(obj):
        if name in excluded:
            continue
        try:
            value = getattr(obj, name)
        except AttributeError:
            owner = next((cls for cls in mro if name in vars(cls)), None)
            if owner is None:
                continue
            value = vars(owner)[name]
        if predicate is None or predicate(value):
            members[name] = value
    return sorted(members.items())
