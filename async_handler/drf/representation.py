"""Serializer output in one thread hop, with async fields awaited on the loop afterwards.

DRF's `to_representation` walks rows and fields synchronously (attribute access may
query related objects), so the whole walk runs in one hop; adrf instead crosses to a
thread for every field of every row. When the tree holds async parts (a
SerializerMethodField whose method is `async def`, or a field or nested serializer
with its own `async def ato_representation`), the hop fills in everything sync and
leaves a slot for each async part, which is then awaited on the loop in order.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.db.models.manager import BaseManager
from rest_framework import serializers as drf
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from ._util import is_async, run_sync


class Mode(Enum):
    SYNC = "sync"  # DRF's to_representation, unchanged, in the hop
    NESTED = "nested"  # walked here: a serializer holding async parts
    AWAIT = "await"  # awaited on the loop after the hop


def _own_ato_representation(field: Any) -> bool:
    # A user's `async def ato_representation`, as opposed to this package's default
    # (marked by `_default_ato_representation`) or none at all.
    method = getattr(type(field), "ato_representation", None)
    return is_async(method) and not getattr(method, "_default_ato_representation", False)


def _overrides_to_representation(serializer: Any) -> bool:
    base = drf.ListSerializer if isinstance(serializer, drf.ListSerializer) else drf.Serializer
    return type(serializer).to_representation is not base.to_representation


class Walker:
    """One representation pass: modes cached per field, async slots collected."""

    __slots__ = ("_modes", "slots")

    def __init__(self) -> None:
        self._modes: dict[int, Mode] = {}
        self.slots: list[tuple[Any, Any, Any, Any]] = []

    def mode(self, field: Any) -> Mode:
        key = id(field)
        if key not in self._modes:
            own = _own_ato_representation(field)
            self._modes[key] = Mode.AWAIT if own else self.structure(field)
        return self._modes[key]

    def structure(self, field: Any) -> Mode:
        """The mode from the field's own parts, ignoring any ato_representation it has."""
        if isinstance(field, drf.SerializerMethodField):
            method = getattr(field.parent, field.method_name, None)
            return Mode.AWAIT if is_async(method) else Mode.SYNC
        if not isinstance(field, drf.BaseSerializer) or _overrides_to_representation(field):
            return Mode.SYNC
        if isinstance(field, drf.ListSerializer):
            return Mode.SYNC if self.mode(field.child) is Mode.SYNC else Mode.NESTED
        if isinstance(field, drf.Serializer):
            readable = field._readable_fields
            nested = any(self.mode(f) is not Mode.SYNC for f in readable)
            return Mode.NESTED if nested else Mode.SYNC
        return Mode.SYNC

    def walk(self, serializer: Any, instance: Any) -> Any:
        """The sync pass, run in the hop, for a serializer in NESTED mode."""
        if isinstance(serializer, drf.ListSerializer):
            items = instance.all() if isinstance(instance, BaseManager) else instance
            out: list[Any] = []
            for item in items:
                out.append(None)
                self._fill(out, len(out) - 1, serializer.child, item)
            return out
        ret: dict[str, Any] = {}
        for field in serializer._readable_fields:
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            # As DRF: None skips to_representation; pk-only relations check the pk.
            value = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            if value is None:
                ret[field.field_name] = None
            else:
                self._fill(ret, field.field_name, field, attribute)
        return ret

    def _fill(self, container: Any, key: Any, field: Any, value: Any) -> None:
        mode = self.mode(field)
        if mode is Mode.SYNC:
            container[key] = field.to_representation(value)
        elif mode is Mode.NESTED:
            container[key] = self.walk(field, value)
        else:
            container[key] = None
            self.slots.append((container, key, field, value))


async def _await_part(field: Any, value: Any) -> Any:
    if isinstance(field, drf.SerializerMethodField) and not _own_ato_representation(field):
        return await getattr(field.parent, field.method_name)(value)
    return await field.ato_representation(value)


async def represent(serializer: Any, instance: Any) -> Any:
    """`serializer.to_representation(instance)`, crossing to a thread at most once."""
    walker = Walker()
    if walker.structure(serializer) is Mode.NESTED:
        data = await run_sync(walker.walk, serializer, instance)
    else:
        data = await run_sync(serializer.to_representation, instance)
    for container, key, field, value in walker.slots:
        container[key] = await _await_part(field, value)
    return data
