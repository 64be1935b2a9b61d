"""Throttle classes: DRF's own, for adrf-style imports from one place.

No async variants are needed: a view here consults each throttle where it belongs,
awaiting an `async def allow_request` (and an async `wait`) on the loop and running
sync throttles, which read and write the cache, together in one thread hop.
"""

from __future__ import annotations

from rest_framework.throttling import (
    AnonRateThrottle,
    BaseThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

__all__ = [
    "AnonRateThrottle",
    "BaseThrottle",
    "ScopedRateThrottle",
    "SimpleRateThrottle",
    "UserRateThrottle",
]
