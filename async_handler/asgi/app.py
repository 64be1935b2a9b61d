"""ASGIApplication: the project served by any ASGI server through the same core as the worker.

The same middleware chain, inline-hook rules, thread pool and tuner as
`-k async_handler.worker.AiohttpWorker`; a drop-in for Django's
get_asgi_application(). Servers with the lifespan protocol start and stop
the core with it (lifespan.py); without it the core starts on the first
request. `websocket` scopes run the project's WebSocket views
(websocket_scope.py).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

from .. import client
from ..core.exchange import BadRequest
from ..core.handler import CoreHandler
from .exchange import Receive, Receiver, Send, build_exchange, check_path
from .lifespan import serve_lifespan
from .response import ASGISink
from .websocket import ASGIUpgrade
from .websocket_scope import serve_websocket

logger = logging.getLogger("async_handler")

#: Seconds lifespan shutdown waits for sockets it closed with 1001 to finish their views.
SOCKETS_CLOSE_TIMEOUT = 10.0


class ASGICore(CoreHandler):
    """The core with the shared client session opened and closed around it."""

    services = ((client.open, client.close),)


class ASGIApplication:
    """An ASGI 3 application for `http`, `websocket` and `lifespan` scopes."""

    def __init__(self) -> None:
        self.core = ASGICore()
        self.started = self.stopped = False
        self._starting: asyncio.Lock | None = None
        #: The WebSockets being served, closed with 1001 at lifespan shutdown.
        self.sockets: set[ASGIUpgrade] = set()

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            if not self.started and not self.stopped:
                await self.startup()
            await serve_websocket(self.core, scope, receive, send, self.sockets)
        elif kind == "lifespan":
            await serve_lifespan(self.startup, self.shutdown, receive, send)
        else:
            raise ValueError(f"async_handler's ASGI application cannot serve {kind!r} scopes")

    async def startup(self) -> None:
        """Start the core once: at lifespan startup, or at the first request without one."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if not self.started:
                await self.core.startup(threads=None)
                self.started = True
                # As the worker does: what is alive after start-up (modules, URLconf,
                # settings) lives as long as the process; frozen, the GC's full passes
                # stop walking it.
                gc.collect()
                gc.freeze()

    async def shutdown(self) -> None:
        """Close open sockets with 1001, then stop the core; requests from now on get 503."""
        self.stopped = True
        await self._close_sockets()
        if self.started:
            await self.core.shutdown()

    async def _close_sockets(self) -> None:
        """Close each open WebSocket with 1001 and wait a while for its view to end.

        Most servers close their connections before lifespan shutdown (uvicorn
        with 1012), so this finds sockets only on those that do not.
        """
        if not self.sockets:
            return
        logger.info("Closing %d open WebSocket(s) with 1001", len(self.sockets))
        for upgrade in list(self.sockets):
            upgrade.going_away()
        tasks = [u.task for u in self.sockets if not u.task.done()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=SOCKETS_CLOSE_TIMEOUT)
            for task in pending:
                task.cancel()

    async def http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """Serve one request; a client that leaves cancels it, view included."""
        if not self.started and not self.stopped:
            await self.startup()
        try:
            check_path(scope)
        except BadRequest as exc:
            client_addr = scope.get("client")
            logger.warning("Bad request from %s: %s", client_addr[0] if client_addr else "", exc)
            await ASGISink(send, False).refuse(400, f"Bad Request: {exc}\n")
            return
        task = asyncio.current_task()
        assert task is not None
        receiver = Receiver(receive, task)
        try:
            await self.core.serve(build_exchange(scope, receiver, send))
        except asyncio.CancelledError:
            if not receiver.gone:
                raise
            task.uncancel()
            logger.debug("Client left; its request was cancelled: %s", scope.get("path"))
        except ConnectionError:
            logger.debug("Client left during its request: %s", scope.get("path"))
        finally:
            await receiver.stop()


def get_asgi_application() -> ASGIApplication:
    """Set up Django and return the ASGI application, as Django's get_asgi_application() does."""
    import django

    django.setup(set_prefix=False)
    return ASGIApplication()
