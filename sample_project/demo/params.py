"""Query-string helpers shared by the demo views."""
from __future__ import annotations

from django.http import HttpRequest


def bounded_int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    """Read an integer query parameter, clamped to [low, high], so demo URLs can't ask for hours."""
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        value = default
    return max(low, min(high, value))
