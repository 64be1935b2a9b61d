"""Serializers for the DRF tests: model serializers, plus probes that record their thread."""

from __future__ import annotations

import threading
from typing import Any

from rest_framework import serializers as drf_serializers

from async_handler.drf import serializers
from tests.drf_app.models import Note, Tag
from tests.drf_app.policies import record


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ("id", "name")


class NoteSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)
    tags = serializers.PrimaryKeyRelatedField(many=True, queryset=Tag.objects.all(), required=False)

    class Meta:
        model = Note
        fields = ("id", "title", "body", "owner", "tags")


class PlainNoteSerializer(drf_serializers.ModelSerializer):
    """DRF's own ModelSerializer, to show the async views accept it unchanged."""

    class Meta:
        model = Note
        fields = ("id", "title", "body")


class RowSerializer(serializers.Serializer):
    """Two sync fields per row, each recording the thread it ran on."""

    a = serializers.SerializerMethodField()
    b = serializers.SerializerMethodField()

    def get_a(self, row: dict[str, Any]) -> int:
        record("field")
        return int(row["n"])

    def get_b(self, row: dict[str, Any]) -> int:
        record("field")
        return int(row["n"]) * 2


class AsyncFieldTagSerializer(serializers.Serializer):
    name = serializers.CharField()
    loud = serializers.SerializerMethodField()

    async def get_loud(self, tag: Tag) -> str:
        record("async_field_loop")
        return tag.name.upper()


class NoteWithAsyncTagsSerializer(serializers.Serializer):
    """Nested: each note's tags, each tag with an async method field."""

    title = serializers.CharField()
    tags = AsyncFieldTagSerializer(many=True)


class AsyncCreateNoteSerializer(serializers.Serializer):
    """adrf style: the serializer's own `async def acreate` uses the async ORM."""

    title = serializers.CharField(max_length=100)

    async def acreate(self, validated_data: dict[str, Any]) -> Note:
        THREAD_OF_ACREATE.append(threading.get_ident())
        return await Note.objects.acreate(**validated_data)

    async def aupdate(self, instance: Note, validated_data: dict[str, Any]) -> Note:
        instance.title = validated_data["title"]
        await instance.asave()
        return instance


THREAD_OF_ACREATE: list[int] = []
