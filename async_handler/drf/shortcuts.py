"""`aget_object_or_404` on Django's async ORM, with DRF's treatment of malformed lookups."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Manager, Model, QuerySet
from django.http import Http404


async def aget_object_or_404(queryset: Any, *args: Any, **kwargs: Any) -> Any:
    """`await queryset.aget(...)`, raising Http404 when absent or when the lookup is malformed.

    Accepts a QuerySet, a Manager or a model class, like Django's shortcut (which
    only gained an async twin in Django 5.0). As DRF's get_object_or_404 does, a
    lookup value of the wrong type (`/notes/abc/` for an integer pk) is a 404.
    """
    if isinstance(queryset, type) and issubclass(queryset, Model):
        queryset = queryset._default_manager.all()
    elif isinstance(queryset, Manager):
        queryset = queryset.all()
    if not isinstance(queryset, QuerySet):
        raise ValueError(  # noqa: TRY004  (the error Django's get_object_or_404 raises)
            "aget_object_or_404() needs a Model, Manager or QuerySet, "
            f"not {type(queryset).__name__}"
        )
    try:
        return await queryset.aget(*args, **kwargs)
    except queryset.model.DoesNotExist:
        raise Http404(f"No {queryset.model._meta.object_name} matches the given query.") from None
    except (TypeError, ValueError, ValidationError):
        raise Http404 from None
