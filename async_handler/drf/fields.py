"""Serializer fields: DRF's own, plus a SerializerMethodField whose method may be `async def`.

DRF's fields need no async variants here, because serializers render whole trees in
one thread hop (see representation.py). The names are re-exported so that imports
written for adrf's `adrf.fields` keep working.
"""

from __future__ import annotations

from typing import Any

from rest_framework import fields as drf_fields
from rest_framework.fields import (
    BooleanField,
    CharField,
    ChoiceField,
    CreateOnlyDefault,
    CurrentUserDefault,
    DateField,
    DateTimeField,
    DecimalField,
    DictField,
    DurationField,
    EmailField,
    Field,
    FileField,
    FilePathField,
    FloatField,
    HiddenField,
    HStoreField,
    ImageField,
    IntegerField,
    IPAddressField,
    JSONField,
    ListField,
    ModelField,
    MultipleChoiceField,
    ReadOnlyField,
    RegexField,
    SkipField,
    SlugField,
    TimeField,
    URLField,
    UUIDField,
    empty,
)
from rest_framework.serializers import BigIntegerField

from ._util import call, call_blocking


def default_ato_representation(fn: Any) -> Any:
    """Mark this package's own `ato_representation`, so it is not mistaken for a user's."""
    fn._default_ato_representation = True
    return fn


__all__ = [
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "ChoiceField",
    "CreateOnlyDefault",
    "CurrentUserDefault",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "DictField",
    "DurationField",
    "EmailField",
    "Field",
    "FileField",
    "FilePathField",
    "FloatField",
    "HStoreField",
    "HiddenField",
    "IPAddressField",
    "ImageField",
    "IntegerField",
    "JSONField",
    "ListField",
    "ModelField",
    "MultipleChoiceField",
    "ReadOnlyField",
    "RegexField",
    "SerializerMethodField",
    "SkipField",
    "SlugField",
    "TimeField",
    "URLField",
    "UUIDField",
    "empty",
]


class SerializerMethodField(drf_fields.SerializerMethodField):
    """DRF's SerializerMethodField; `get_<name>` may be `async def`.

    In a serializer's `adata` the async method is awaited on the loop after the
    one thread hop; from sync code (`.data`) it is driven with async_to_sync.
    """

    def to_representation(self, value: Any) -> Any:
        return call_blocking(getattr(self.parent, self.method_name), value)

    @default_ato_representation
    async def ato_representation(self, value: Any) -> Any:
        return await call(getattr(self.parent, self.method_name), value)
