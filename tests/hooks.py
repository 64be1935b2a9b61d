"""STARTUP and SHUTDOWN hooks for tests: they record the loop they ran on."""
from __future__ import annotations

import asyncio

CALLS: list[tuple[str, int]] = []


async def on_startup() -> None:
    CALLS.append(("startup", id(asyncio.get_running_loop())))


async def on_shutdown() -> None:
    CALLS.append(("shutdown", id(asyncio.get_running_loop())))
