"""An ordered list of checks that crosses to a thread as rarely as order allows.

DRF runs authenticators, then permissions, then throttles, stopping at the first
exception. Here each check is tagged: ASYNC checks are awaited on the loop, SYNC
checks may block and run off the loop, and INLINE checks are pure and run wherever
they fall. Consecutive SYNC (and INLINE) checks share one thread hop, so a view with
only sync policies pays exactly one crossing for all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from asgiref.sync import async_to_sync

from ._util import run_sync


class Kind(Enum):
    INLINE = "inline"
    SYNC = "sync"
    ASYNC = "async"


def _run_all(steps: list[Callable[[], Any]]) -> None:
    for step in steps:
        step()


class Plan:
    """Checks to run in order; see the module docstring for how they are grouped."""

    __slots__ = ("_steps",)

    def __init__(self) -> None:
        self._steps: list[tuple[Kind, Callable[[], Any]]] = []

    def add(self, kind: Kind, step: Callable[[], Any]) -> None:
        self._steps.append((kind, step))

    def add_async(self, step: Callable[[], Awaitable[Any]]) -> None:
        self._steps.append((Kind.ASYNC, step))

    async def run(self) -> None:
        batch: list[Callable[[], Any]] = []
        for kind, step in self._steps:
            if kind is Kind.SYNC or (kind is Kind.INLINE and batch):
                batch.append(step)
                continue
            if batch:
                await run_sync(_run_all, batch)
                batch = []
            if kind is Kind.ASYNC:
                await step()
            else:
                step()
        if batch:
            await run_sync(_run_all, batch)

    def run_blocking(self) -> None:
        """Run every step here, from sync code off the loop; async steps via async_to_sync."""
        for kind, step in self._steps:
            if kind is Kind.ASYNC:
                async_to_sync(step)()
            else:
                step()
