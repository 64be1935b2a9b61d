"""Stopping a listener task without taking its caller's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and wait until it has finished; its own error, if any, is raised.

    `with suppress(CancelledError): await task` would swallow a cancel of the
    caller arriving meanwhile as well as the task's: the caller would carry on
    as if never cancelled (the hazard of cpython#86296, outside wait_for).
    asyncio.wait() never raises the task's CancelledError and never absorbs
    the caller's.
    """
    task.cancel()
    await asyncio.wait((task,))
    if not task.cancelled():
        task.result()
