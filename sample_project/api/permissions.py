"""Object-level permission for notes, written as ``async def`` and awaited by async_handler.drf."""
from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from api.models import Note


class IsOwnerOrReadOnly(BasePermission):
    """Anyone may read a note; only its owner may change or delete it.

    ``request.user`` is already resolved when an async view checks object permissions, so this
    reads it on the event loop without touching the database.
    """

    message = "Only the note's owner may change or delete it."

    async def has_object_permission(self, request: Request, view: Any, obj: Note) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(obj.owner_id == request.user.pk)
