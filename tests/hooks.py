"""STARTUP and SHUTDOWN hooks for tests: they record the loop they ran on."""
from __future__ import annotations

import asyncio

CALLS: list[tuple[str, int]] = []


async def on_startup() -> None:
    CALLS.append(("startup", id(asyncio.get_running_loop())))


async def on_shutdown() -> None:
    CALLS.append(("shutdown", id(asyncio.get_running_loop())))


def sync_startup() -> None:
    """A sync hook doing ORM work: it runs on a pool thread, never the loop."""
    import threading

    from tests.models import Item

    Item.objects.count()
    CALLS.append(("sync", threading.get_ident()))
