"""Serializer fields with adrf's `ato_representation`, and an async-capable SerializerMethodField.

Serializers here render whole trees in one thread hop (representation.py), so these
fields need no async machinery of their own. They exist so that adrf's names import
and behave alike: each is DRF's field with `await field.ato_representation(value)`,
which awaits `value` first if it is awaitable (an `async` property's coroutine).
The default method is marked, so a serializer tells it from a user's own override.
"""

from __future__ import annotations

import inspect
from typing import Any

from rest_framework import fields as drf
from rest_framework import serializers as drf_serializers
from rest_framework.fields import (  # noqa: F401  (re-exported, as DRF's module has them)
    CreateOnlyDefault,
    CurrentUserDefault,
    SkipField,
    empty,
)

from ._util import call, call_blocking


def default_ato_representation(fn: Any) -> Any:
    """Mark this package's own `ato_representation`, so it is not mistaken for a user's."""
    fn._default_ato_representation = True
    return fn


class AsyncFieldMixin:
    """Adds `async ato_representation(value)`: DRF's `to_representation`, run inline."""

    @default_ato_representation
    async def ato_representation(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            value = await value
        return self.to_representation(value)  # type: ignore[attr-defined]


# The same classes as adrf, each DRF's field plus the mixin.
class BigIntegerField(AsyncFieldMixin, drf_serializers.BigIntegerField): ...
class BooleanField(AsyncFieldMixin, drf.BooleanField): ...
class CharField(AsyncFieldMixin, drf.CharField): ...
class ChoiceField(AsyncFieldMixin, drf.ChoiceField): ...
class DateField(AsyncFieldMixin, drf.DateField): ...
class DateTimeField(AsyncFieldMixin, drf.DateTimeField): ...
class DecimalField(AsyncFieldMixin, drf.DecimalField): ...
class DictField(AsyncFieldMixin, drf.DictField): ...
class DurationField(AsyncFieldMixin, drf.DurationField): ...
class EmailField(AsyncFieldMixin, drf.EmailField): ...
class Field(AsyncFieldMixin, drf.Field): ...
class FileField(AsyncFieldMixin, drf.FileField): ...
class FilePathField(AsyncFieldMixin, drf.FilePathField): ...
class FloatField(AsyncFieldMixin, drf.FloatField): ...
class HiddenField(AsyncFieldMixin, drf.HiddenField): ...
class HStoreField(AsyncFieldMixin, drf.HStoreField): ...
class ImageField(AsyncFieldMixin, drf.ImageField): ...
class IntegerField(AsyncFieldMixin, drf.IntegerField): ...
class IPAddressField(AsyncFieldMixin, drf.IPAddressField): ...
class JSONField(AsyncFieldMixin, drf.JSONField): ...
class ListField(AsyncFieldMixin, drf.ListField): ...
class ModelField(AsyncFieldMixin, drf.ModelField): ...
class MultipleChoiceField(AsyncFieldMixin, drf.MultipleChoiceField): ...
class ReadOnlyField(AsyncFieldMixin, drf.ReadOnlyField): ...
class RegexField(AsyncFieldMixin, drf.RegexField): ...
class SlugField(AsyncFieldMixin, drf.SlugField): ...
class TimeField(AsyncFieldMixin, drf.TimeField): ...
class URLField(AsyncFieldMixin, drf.URLField): ...
class UUIDField(AsyncFieldMixin, drf.UUIDField): ...


class SerializerMethodField(drf.SerializerMethodField):
    """DRF's SerializerMethodField; `get_<name>` may be `async def`.

    In a serializer's `adata` the async method is awaited on the loop after the
    one thread hop; from sync code (`.data`) it is driven with async_to_sync.
    """

    def to_representation(self, value: Any) -> Any:
        return call_blocking(getattr(self.parent, self.method_name), value)

    @default_ato_representation
    async def ato_representation(self, value: Any) -> Any:
        return await call(getattr(self.parent, self.method_name), value)


__all__ = [
    "AsyncFieldMixin", "BigIntegerField", "BooleanField", "CharField", "ChoiceField",
    "CreateOnlyDefault", "CurrentUserDefault", "DateField", "DateTimeField", "DecimalField",
    "DictField", "DurationField", "EmailField", "Field", "FileField", "FilePathField",
    "FloatField", "HStoreField", "HiddenField", "IPAddressField", "ImageField", "IntegerField",
    "JSONField", "ListField", "ModelField", "MultipleChoiceField", "ReadOnlyField", "RegexField",
    "SerializerMethodField", "SkipField", "SlugField", "TimeField", "URLField", "UUIDField",
    "empty",
]
