"""One shared aiohttp.ClientSession per worker, for views that call other services.

A session holds a connection pool; creating one per request throws the pool
away and, unclosed, leaks sockets. This one is made on first use in the
worker's loop and closed when the worker shuts down.

    from async_handler.client import session

    async def weather(request):
        async with session().get("https://api.example.com/today") as r:
            return JsonResponse(await r.json())
"""

from __future__ import annotations

import asyncio

import aiohttp

_session: aiohttp.ClientSession | None = None
_loop: asyncio.AbstractEventLoop | None = None


def session() -> aiohttp.ClientSession:
    """Return the worker's shared ClientSession, creating it on first use."""
    global _session, _loop
    loop = asyncio.get_running_loop()
    if _session is None or _session.closed or _loop is not loop:
        _session, _loop = aiohttp.ClientSession(), loop
    return _session


async def close() -> None:
    """Close the shared session; the worker calls this on shutdown."""
    global _session
    current, _session = _session, None
    if current is not None and not current.closed:
        await current.close()
