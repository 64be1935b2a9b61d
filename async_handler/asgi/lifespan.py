"""The ASGI `lifespan` scope: start the core at server start, stop it at server stop.

Startup builds the chain and the thread pool, opens the shared client
session and runs the STARTUP hooks; shutdown runs the SHUTDOWN hooks, closes
the session and stops the pool. A failure is reported to the server, which
then refuses to start (or logs the failed shutdown).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

logger = logging.getLogger("async_handler")


async def serve_lifespan(start: Callable[[], Awaitable[None]],
                         stop: Callable[[], Awaitable[None]],
                         receive: Callable[[], Awaitable[dict[str, Any]]],
                         send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """Answer lifespan messages until shutdown has completed or failed."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            step, done = start, "lifespan.startup"
        elif message["type"] == "lifespan.shutdown":
            step, done = stop, "lifespan.shutdown"
        else:
            continue
        try:
            await step()
        except Exception as exc:
            logger.exception("ASGI %s failed", done)
            await send({"type": f"{done}.failed", "message": repr(exc)})
            return
        await send({"type": f"{done}.complete"})
        if done == "lifespan.shutdown":
            return
