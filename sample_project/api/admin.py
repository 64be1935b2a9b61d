"""The demo API's notes in the Django admin, next to the users and tokens."""
from __future__ import annotations

from django.contrib import admin

from api.models import Note


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    """Notes listed newest first with their owner; searchable by text, filterable by owner."""

    list_display = ("title", "owner", "created")
    list_filter = ("owner",)
    list_select_related = ("owner",)
    search_fields = ("title", "body")
    readonly_fields = ("created",)
    date_hierarchy = "created"
