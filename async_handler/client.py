"""One shared aiohttp.ClientSession per worker, for views that call other services.

A session holds a connection pool; creating one per request throws the pool
away and, unclosed, leaks sockets. Under the worker (and runserver) the
session is opened at startup on the worker's loop and closed at shutdown.
Under a plain WSGI server each async view runs on a throwaway loop, so there
session() gives that request its own session, closed when the view returns.

    from async_handler.client import session

    async def weather(request):
        async with session().get("https://api.example.com/today") as r:
            return JsonResponse(await r.json())
"""

from __future__ import annotations

import asyncio
import contextvars

import aiohttp

from . import conf

_shared: aiohttp.ClientSession | None = None
_loop: asyncio.AbstractEventLoop | None = None
_scoped: contextvars.ContextVar[list[aiohttp.ClientSession] | None] = contextvars.ContextVar(
    "async_handler_scoped_sessions", default=None)


def session() -> aiohttp.ClientSession:
    """Return the worker's shared ClientSession (or, off the worker, this request's)."""
    loop = asyncio.get_running_loop()
    if loop is _loop and _shared is not None and not _shared.closed:
        return _shared
    scoped = _scoped.get()
    if scoped is None:
        raise RuntimeError("async_handler.client.session() is available in views served by "
                           "async_handler (its worker, runserver, or a WSGI server through "
                           "get_async_application()) and in STARTUP hooks.")
    if not scoped:
        scoped.append(aiohttp.ClientSession())
    return scoped[0]


async def open() -> None:
    """Open the shared session on the running loop; the handler calls this at startup."""
    global _shared, _loop
    await close()
    # aiohttp's default connector allows 100 connections at once, which would
    # queue a worker's 101st concurrent upstream call behind the first 100.
    connector = aiohttp.TCPConnector(limit=int(conf.get("CLIENT_MAX_CONNECTIONS") or 0))
    _shared, _loop = aiohttp.ClientSession(connector=connector), asyncio.get_running_loop()


async def close() -> None:
    """Close the shared session; the handler calls this at shutdown."""
    global _shared, _loop
    current, _shared, _loop = _shared, None, None
    if current is not None and not current.closed:
        await current.close()


def request_scope() -> contextvars.Token[list[aiohttp.ClientSession] | None]:
    """Start collecting the sessions a view off the worker opens."""
    return _scoped.set([])


async def close_request_scope(token: contextvars.Token[list[aiohttp.ClientSession] | None]) -> None:
    sessions = _scoped.get() or []
    _scoped.reset(token)
    for opened in sessions:
        await opened.close()
