"""@websocket_view: a WebSocket in an ordinary Django view.

The handshake is a Django request like any other: it has been through the
project's whole MIDDLEWARE (sessions, auth, the project's own) before the
view runs, so decorators such as login_required, put above
@websocket_view, refuse it with their usual HTTP response. Then the view
runs with the socket for as long as it likes. When it returns, the socket
is closed and the view's request ends: the response handed back to the
middleware (SocketClosed, status 101) is not sent, since the socket was the
response; the session middleware still saves a modified session, and
request_finished fires once, for the socket.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Awaitable, Callable

from asgiref.sync import iscoroutinefunction
from django.http import HttpResponse
from django.http.response import HttpResponseBase

from .handshake import refusal
from .options import DEFAULT, ViewOptions
from .socket import WebSocket, WebSocketDisconnect
from .transport import UPGRADE_KEY

logger = logging.getLogger("async_handler.websocket")
View = Callable[..., Awaitable[Any]]


class SocketClosed(HttpResponse):
    """What a WebSocket view gives the middleware once its socket has ended; never sent."""

    status_code = 101


async def _serve(view: View, options: ViewOptions, request: Any, args: Any,
                 kwargs: Any) -> Any:
    """Check the handshake, run `view(request, ws, ...)`, and close the socket after it.

    The view is cancelled with the request: a client that vanishes, or a
    server that stops, cancels it. Except once a close handshake that the
    client or the view began is done: the view then gets to finish what it
    does after the socket (a consumer's disconnect handler, a last write),
    and the request its middleware and request_finished. A front end that
    itself leaves the request running then (`spares_view`, the aiohttp
    one) has the view run in the request's task; for others (ASGI) it runs
    in a task of its own, spared by _spared(). (No coroutine more than
    needed either: an idle socket holds each for its whole life.)
    """
    refused = refusal(request, options.check_origin)
    if refused is not None:
        return refused
    ws = WebSocket(request, request.META[UPGRADE_KEY], options)
    cancelled = True
    try:
        try:
            if getattr(ws._upgrade, "spares_view", False):
                result = await view(request, ws, *args, **kwargs)
            else:
                result = await _spared(view(request, ws, *args, **kwargs), ws)
        except WebSocketDisconnect:
            result = None
        except Exception:
            if not ws.accepted:
                raise  # Django answers it as any view's error
            logger.exception("WebSocket view for %s raised; closing with 1011", request.path)
            result = None
            await ws.close(1011)
        cancelled = False
    finally:
        await ws._finish(cancelled)
    if ws.accepted:
        return SocketClosed()
    if isinstance(result, HttpResponseBase):
        return result
    logger.warning("WebSocket view for %s %s without accepting: 403", request.path,
                   "closed" if ws.closed else "returned")
    response = HttpResponse("WebSocket refused\n", status=403, content_type="text/plain")
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


async def _spared(coro: Awaitable[Any], ws: WebSocket) -> Any:
    """Await the view in a task of its own, cancelled with the request, except once
    a close handshake the client or the view began is done (see _serve)."""
    task = asyncio.ensure_future(coro)
    loop = asyncio.get_running_loop()
    spared = False
    while True:
        # asyncio.shield(task), with a bare future: shield's outer future and two
        # closures would stay allocated for the whole life of an idle socket.
        waiter = loop.create_future()
        wake = functools.partial(_wake, waiter)
        task.add_done_callback(wake)
        try:
            await waiter
        except asyncio.CancelledError:
            task.remove_done_callback(wake)
            if task.done() or spared or ws.closed_by not in ("client", "view"):
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                raise
            spared = True
            current = asyncio.current_task()
            if current is not None and hasattr(current, "uncancel"):
                current.uncancel()
            continue
        return task.result()


def _wake(waiter: asyncio.Future[None], task: asyncio.Future[Any]) -> None:
    if not waiter.done():  # cancelled with the request, and not yet told
        waiter.set_result(None)


def websocket_view(view: View | None = None, /, *, heartbeat: Any = DEFAULT,
                   max_message_size: Any = DEFAULT, compression: Any = DEFAULT,
                   subprotocols: tuple[str, ...] | list[str] = (),
                   check_origin: bool = True, send_timeout: Any = DEFAULT) -> Any:
    """Make `async def view(request, ws, *args, **kwargs)` a Django view serving a WebSocket.

    Used bare or with per-view options: heartbeat (seconds, None: no pings),
    max_message_size (bytes, 0: none), compression and send_timeout (seconds)
    default to ASYNC_HANDLER's WEBSOCKET_* settings; subprotocols the view speaks, in no
    order (the client's preference wins); check_origin=False lets any site's
    pages connect.
    """
    options = ViewOptions(heartbeat, max_message_size, compression, send_timeout,
                          tuple(subprotocols), check_origin)

    def decorate(view: View) -> View:
        if not iscoroutinefunction(view):
            raise TypeError(f"@websocket_view needs an async def view, not {view!r}")

        # An async def, not a function returning _serve's coroutine (one frame less per
        # idle socket): markcoroutinefunction's marker would be copied by functools.wraps
        # onto a sync decorator above it (Django 4.2's login_required), whose refusal
        # would then be awaited.
        @functools.wraps(view)
        async def websocket(request: Any, *args: Any, **kwargs: Any) -> Any:
            return await _serve(view, options, request, args, kwargs)

        # Only GET upgrades, and a POST is refused with 405 before the view runs.
        websocket.csrf_exempt = True  # type: ignore[attr-defined]
        return websocket

    return decorate(view) if view is not None else decorate


__all__ = ["SocketClosed", "websocket_view"]
