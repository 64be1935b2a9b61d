"""The one model behind the demo API: short notes, each owned by the user who wrote it."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Note(models.Model):
    """A titled note; only its owner may change or delete it (see api/permissions.py)."""

    title = models.CharField(max_length=100)
    body = models.TextField(blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title
