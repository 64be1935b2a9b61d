"""Serializers with `await .adata`, `ais_valid()`, `asave()`, `acreate()`, `aupdate()`.

Each crosses to a thread at most once per call: validation, saving and rendering are
DRF's own sync code (validators and relations may query), run whole in one hop, so
a page of 1,000 rows renders in one crossing, not one per field per row. A user's
`async def` acreate/aupdate/ato_representation (or async SerializerMethodField
methods) are awaited on the loop instead; a user's sync `save()`, `create()`,
`update()` or `to_representation()` is honoured.
"""

from __future__ import annotations

import inspect
from functools import partial
from typing import Any

from rest_framework import serializers as drf
from rest_framework.exceptions import ErrorDetail, ValidationError  # noqa: F401
from rest_framework.relations import (  # noqa: F401
    Hyperlink,
    HyperlinkedIdentityField,
    HyperlinkedRelatedField,
    ManyRelatedField,
    PKOnlyObject,
    PrimaryKeyRelatedField,
    RelatedField,
    SlugRelatedField,
    StringRelatedField,
)
from rest_framework.serializers import (  # noqa: F401  (adrf's module has these names)
    LIST_SERIALIZER_KWARGS,
    raise_errors_on_nested_writes,
)
from rest_framework.serializers import BaseSerializer as DRFBaseSerializer  # noqa: F401
from rest_framework.serializers import ListSerializer as DRFListSerializer  # noqa: F401
from rest_framework.serializers import ModelSerializer as DRFModelSerializer  # noqa: F401
from rest_framework.serializers import Serializer as DRFSerializer  # noqa: F401
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList  # noqa: F401

from ._util import LazyAwaitable, is_async, overrides, run_sync

# DRF's field names too, so that `serializers.CharField` works as with DRF's module.
from .fields import *  # noqa: F403
from .fields import default_ato_representation
from .representation import represent


class AsyncSerializerMixin:
    """The async half of a serializer; mixed into each DRF serializer class below."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> Any:
        list_serializer = super().many_init(*args, **kwargs)  # type: ignore[misc]
        # DRF builds its own ListSerializer unless Meta names another class; swap in
        # ours, which adds methods only, so that `many=True` is async too.
        if type(list_serializer) is drf.ListSerializer:
            list_serializer.__class__ = ListSerializer
        return list_serializer

    @property
    def adata(self) -> LazyAwaitable:
        """`await serializer.adata`: what `.data` returns, rendered in one hop."""
        return LazyAwaitable(self._adata)

    async def _adata(self) -> Any:
        s: Any = self
        ready = not (hasattr(s, "initial_data") and not hasattr(s, "_validated_data"))
        if ready and not hasattr(s, "_data"):
            errors = getattr(s, "_errors", None)
            if s.instance is not None and not errors:
                s._data = await s.ato_representation(s.instance)
            elif hasattr(s, "_validated_data") and not errors:
                s._data = await s.ato_representation(s.validated_data)
        # Now cached, `.data` only wraps it (or raises DRF's own misuse error).
        return s.data

    @default_ato_representation
    async def ato_representation(self, instance: Any) -> Any:
        return await represent(self, instance)

    async def aget_attribute(self, instance: Any) -> Any:
        """As a nested field: `get_attribute(instance)` in one hop (the path may query),
        then awaited if it is awaitable, as an `async` property's value is."""
        s: Any = self
        value = await run_sync(s.get_attribute, instance)
        return await value if inspect.isawaitable(value) else value

    async def ais_valid(self, *, raise_exception: bool = False) -> bool:
        """`is_valid()` in one hop: validators and related-field lookups may query."""
        s: Any = self
        return await run_sync(partial(s.is_valid, raise_exception=raise_exception))

    async def acreate(self, validated_data: Any) -> Any:
        return await run_sync(self.create, validated_data)  # type: ignore[attr-defined]

    async def aupdate(self, instance: Any, validated_data: Any) -> Any:
        return await run_sync(self.update, instance, validated_data)  # type: ignore[attr-defined]

    async def asave(self, **kwargs: Any) -> Any:
        """`save()` via `acreate`/`aupdate`: one hop, none if those are the user's async ones."""
        s: Any = self
        many = isinstance(s, drf.ListSerializer)
        if overrides(s, "save", drf.ListSerializer if many else drf.BaseSerializer):
            return await run_sync(partial(s.save, **kwargs))
        assert "commit" not in kwargs, (
            "asave() takes no 'commit' argument; read serializer.validated_data to see the "
            "data before saving, or pass extra attributes: asave(owner=request.user)."
        )
        if many:
            validated: Any = [{**attrs, **kwargs} for attrs in s.validated_data]
        else:
            assert hasattr(s, "_errors"), "Call `.ais_valid()` before `.asave()`."
            assert not s.errors, "`.asave()` cannot save a serializer with invalid data."
            assert not hasattr(s, "_data"), (
                "`.asave()` cannot run after `.data` or `.adata` was read; "
                "read serializer.validated_data instead."
            )
            validated = {**s.validated_data, **kwargs}
        if s.instance is not None:
            s.instance = await s.aupdate(s.instance, validated)
            assert s.instance is not None, "`aupdate()` did not return an object instance."
        else:
            s.instance = await s.acreate(validated)
            assert s.instance is not None, "`acreate()` did not return an object instance."
        return s.instance


class BaseSerializer(AsyncSerializerMixin, drf.BaseSerializer):
    pass


class Serializer(AsyncSerializerMixin, drf.Serializer):
    pass


class ListSerializer(AsyncSerializerMixin, drf.ListSerializer):
    async def acreate(self, validated_data: Any) -> Any:
        child: Any = self.child
        if is_async(getattr(type(child), "acreate", None)) and overrides(
            child, "acreate", AsyncSerializerMixin
        ):
            return [await child.acreate(attrs) for attrs in validated_data]
        return await run_sync(self.create, validated_data)


class ModelSerializer(AsyncSerializerMixin, drf.ModelSerializer):
    pass


class HyperlinkedModelSerializer(AsyncSerializerMixin, drf.HyperlinkedModelSerializer):
    pass


async def adata(serializer: Any) -> Any:
    """`serializer.data` in one hop for any serializer, this package's or DRF's own."""
    if isinstance(serializer, AsyncSerializerMixin):
        return await serializer.adata
    return await run_sync(lambda: serializer.data)


async def ais_valid(serializer: Any, *, raise_exception: bool = False) -> bool:
    if isinstance(serializer, AsyncSerializerMixin):
        return await serializer.ais_valid(raise_exception=raise_exception)
    return await run_sync(partial(serializer.is_valid, raise_exception=raise_exception))


async def asave(serializer: Any, **kwargs: Any) -> Any:
    if isinstance(serializer, AsyncSerializerMixin):
        return await serializer.asave(**kwargs)
    return await run_sync(partial(serializer.save, **kwargs))
