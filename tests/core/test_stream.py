"""core/stream.py's LazyBody on its own: what the view's iterator yields, and how it yields."""

from __future__ import annotations

import asyncio
import io
from typing import AsyncIterator

import pytest

from async_handler.core.exchange import RequestOptions
from async_handler.core.stream import REPLAY_BLOCK, LazyBody


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # an async generator that yields nothing


@pytest.mark.asyncio
async def test_a_replayed_body_lets_the_loop_run_between_blocks() -> None:
    body = bytes(range(256)) * (REPLAY_BLOCK * 4 // 256)
    lazy = LazyBody(_nothing(), {"CONTENT_LENGTH": str(len(body))}, RequestOptions())
    lazy.whole = io.BytesIO(body)  # as if a middleware had read it whole
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    try:
        seen, ticks_at_blocks = [], []
        async for block in lazy.stream():  # a view that hashes and awaits nothing else
            seen.append(block)
            ticks_at_blocks.append(ticks)
    finally:
        task.cancel()
        await lazy.discard()
    assert b"".join(seen) == body
    assert len(seen) == 4
    # The other task ran between every two blocks the view was handed.
    assert all(b > a for a, b in zip(ticks_at_blocks, ticks_at_blocks[1:], strict=False))
