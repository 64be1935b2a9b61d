"""The Note serializer: async_handler.drf's ModelSerializer, so a page renders in one thread hop."""
from __future__ import annotations

from api.models import Note
from async_handler.drf import ModelSerializer
from async_handler.drf.serializers import HyperlinkedIdentityField, ReadOnlyField


class NoteSerializer(ModelSerializer):
    """A note with its detail URL and its owner's username; the owner is set from the request."""

    url = HyperlinkedIdentityField(view_name="api:note-detail")
    owner = ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ("id", "url", "title", "body", "owner", "created")
        read_only_fields = ("created",)
