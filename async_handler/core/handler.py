"""The Django handler of every front end: the chain, the thread pool, one request served.

CoreHandler is Django's WSGIHandler plus an event-loop side: startup() builds
the async middleware chain and a bounded pool of threads that a request holds
only while a sync call of it runs (see threads/pool.py), and serve() runs one
request, described by a transport-free Exchange (exchange.py), through it.
The front ends (aiohttp/, asgi/) translate their transport to and from that.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from functools import partial
from typing import Any, Awaitable, Callable, Sequence

from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers import base
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler
from django.urls import get_urlconf, set_urlconf
from django.utils.log import log_response

from .. import conf
from ..threads import RequestExecutor, ThreadPool
from . import hop, lifecycle
from .chain import Chain
from .exchange import BadRequest, BodyTimeout, BodyTooLarge, Exchange, RequestOptions
from .response import send_response
from .stream import LazyBody, settle, take_body
from .view import ViewRunner
from .watchdog import LoopWatchdog

logger = logging.getLogger("async_handler")
#: A service opened before the STARTUP hooks and closed after the SHUTDOWN ones.
Service = tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]


class RequestScope:
    """A request's ThreadSensitiveContext over its executor, ended on exit.

    A plain class rather than an asynccontextmanager: it is entered once per request.
    """

    __slots__ = ("executor", "_context")

    def __init__(self, executor: RequestExecutor) -> None:
        self.executor = executor
        self._context = ThreadSensitiveContext(executor=executor)

    async def __aenter__(self) -> RequestExecutor:
        await self._context.__aenter__()
        return self.executor

    async def __aexit__(self, *exc: object) -> None:
        # Neither step awaits anything, so a cancelled request still gives back its thread.
        await self._context.__aexit__(None, None, None)
        self.executor.shutdown()


class CoreHandler(WSGIHandler):
    """Django's handler, served on an event loop with few thread hops, or as WSGI."""

    #: Opened after the pool starts and closed at shutdown (the shared client session).
    services: Sequence[Service] = ()

    def __init__(self) -> None:
        # Middleware loads lazily, per mode, so that a process serving only
        # one of WSGI or the loop instantiates each middleware once.
        base.BaseHandler.__init__(self)
        self._middleware_chain: Any = None
        self._wsgi_lock = threading.Lock()
        self.chain: Chain | None = None
        self.pool: ThreadPool | None = None
        self.options = RequestOptions()
        self._settler: asyncio.Future[None] | None = None
        self._watchdog: LoopWatchdog | None = None

    def get_response(self, request: Any) -> Any:
        """Django's synchronous get_response, loading the sync chain on first use."""
        if self._middleware_chain is None:
            with self._wsgi_lock:
                if self._middleware_chain is None:
                    self.load_middleware(is_async=False)
        return super().get_response(request)

    async def startup(self, options: RequestOptions | None = None,
                      threads: int | None = None) -> None:
        """Build the async chain and thread pool, open the services, run the STARTUP hooks."""
        if options is not None:
            self.options = options
        if self.options.max_body_size is None:
            self.options.max_body_size = conf.get("MAX_BODY_SIZE")
        size = conf.get("THREADS") or threads or 16
        self.pool = ThreadPool(int(size), on_bind=lifecycle.on_thread_bind,
                               on_release=lifecycle.on_thread_release,
                               on_rebind=lifecycle.on_thread_rebind,
                               on_switch=lifecycle.on_thread_switch,
                               on_stop=lifecycle.on_thread_stop,
                               on_parked_done=lifecycle.on_thread_stop,
                               must_stay=lifecycle.thread_must_stay,
                               sticky=bool(conf.get("THREAD_PER_REQUEST")),
                               floor=2 if conf.get("ADAPTIVE_THREADS") else None)
        runner = ViewRunner(self)
        self.chain = Chain(self, runner)
        runner.chain = self.chain
        self._settler = asyncio.ensure_future(self._settle_idle_threads())
        for open_service, _close in self.services:
            await open_service()
        threshold = conf.get("SLOW_CALLBACK_WARNING")
        if threshold:
            self._watchdog = LoopWatchdog(float(threshold))
            self._watchdog.start()
        await lifecycle.run_hooks("STARTUP", self)
        set_urlconf(settings.ROOT_URLCONF)  # inherited by the server's tasks (get_response_async)

    async def shutdown(self) -> None:
        """Run the SHUTDOWN hooks, close the services, then stop the pool."""
        await lifecycle.run_hooks("SHUTDOWN", self)
        for _open, close_service in reversed(self.services):
            await close_service()
        if self._settler is not None:
            self._settler.cancel()
            self._settler = None
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        pool, self.pool = self.pool, None
        if pool is not None:
            # Closes each thread's DB connections on that thread.
            await asyncio.get_running_loop().run_in_executor(None, pool.shutdown)

    async def _settle_idle_threads(self, interval: float = 1.0) -> None:
        # Threads are handed back without being woken (see threads/pool.py); this
        # pays their owed request_finished DB work, such as closing
        # connections under CONN_MAX_AGE = 0, within a second of going idle.
        while self.pool is not None:
            await asyncio.sleep(interval)
            if self.pool is not None:
                self.pool.settle()

    async def run_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run sync `fn` on the current request's thread (see hop.py)."""
        return await hop.run_sync(fn, *args)

    async def run_parked(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run sync `fn`, which will block on the loop, on a parked thread where it may.

        It stays on the request's own thread, as under asgiref, while a thread
        is held for the request (an open transaction), inside another such
        call's thread, or with THREAD_PER_REQUEST.
        """
        pool = self.pool
        if pool is None or pool.sticky or AsyncToSync.executors.current is not None:
            return await hop.run_sync(fn, *args)
        key = SyncToAsync.thread_sensitive_context.get(None)
        executor = SyncToAsync.context_to_thread_executor.get(key) if key else None
        if not isinstance(executor, RequestExecutor) or executor.held:
            return await hop.run_sync(fn, *args)
        return await hop.run_in(pool.parking, fn, *args)

    async def to_response(self, request: Any, exc: Exception) -> Any:
        """Django's exception-to-response mapping; it may render templates, so off the loop."""
        return await self.run_sync(response_for_exception, request, exc)

    async def get_response_async(self, request: Any) -> Any:
        assert self.chain is not None, "call startup() before serving"
        if get_urlconf() != settings.ROOT_URLCONF:
            # As Django's handler does; set once at startup for the tasks the server
            # starts, which inherit it, rather than a fresh asgiref.Local storage per
            # request, which an idle WebSocket would hold for its life (0.3 KB).
            set_urlconf(settings.ROOT_URLCONF)
        response = await self.chain.entry(request)
        response._resource_closers.append(request.close)
        if response.status_code >= 400 and not getattr(response, "_has_been_logged", False):
            if response.status_code >= 500:
                # ERROR records may reach AdminEmailHandler, which does network I/O.
                await self.run_sync(partial(log_response, "%s: %s", response.reason_phrase,
                                            request.path, response=response, request=request))
            else:
                log_response("%s: %s", response.reason_phrase, request.path,
                             response=response, request=request)
        return response

    def request_scope(self) -> RequestScope:
        """Run the sync work done inside as one request's: in order, on pool threads."""
        assert self.pool is not None, "call startup() before serving"
        return RequestScope(self.pool.executor())

    async def serve(self, exchange: Exchange) -> None:
        """Serve one request: read its body, run Django, send the response to its sink."""
        if self.pool is None:  # stopping: no thread pool left to serve with
            await exchange.sink.refuse(503, "Service Unavailable: shutting down\n")
            return
        # One coroutine: a second one for the body would be held for the whole life
        # of a WebSocket view (make bench's idle-socket memory).
        async with RequestScope(self.pool.executor()) as executor:
            response = None
            stream: Any = None
            lazy: LazyBody | None = None
            sink = exchange.sink
            try:
                too_large = None
                try:
                    stream, size, lazy = await take_body(exchange, self.options)
                except BodyTooLarge as exc:
                    if not exc.django_limit:
                        logger.warning("Request body over %d bytes from %s: 413",
                                       exc.limit, exchange.remote)
                        await sink.refuse(413, "Request Entity Too Large\n")
                        return
                    too_large = exc
                    stream, size = None, 0
                except BodyTimeout as exc:
                    logger.warning("Request body stalled for %s s from %s: 408", exc.timeout,
                                   exchange.remote)
                    await sink.refuse(408, "Request Timeout\n")
                    return
                except BadRequest as exc:
                    logger.warning("Bad request from %s: %s", exchange.remote, exc)
                    await sink.refuse(400, f"Bad Request: {exc}\n")
                    return
                if stream is None:
                    stream = io.BytesIO()
                request = exchange.make_request(stream, size)
                if lazy is not None:
                    lazy.bind(request)
                if lifecycle.started_needs_thread():
                    await self.run_sync(lifecycle.send_started, self.__class__,
                                        exchange.started_kwargs)
                if too_large is not None:
                    response = await self.to_response(request, RequestDataTooBig(
                        "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."))
                    response._resource_closers.append(request.close)
                else:
                    response = await self.get_response_async(request)
                close: bool | None = too_large is not None
                if lazy is not None:
                    close = await settle(lazy, response, sink, exchange.remote)
                    if close is None:
                        return
                if close:
                    sink.close_after()
                await send_response(sink, response, self.run_sync, head=exchange.head,
                                    remote=exchange.remote)
            finally:
                if response is not None:
                    lifecycle.close_response(response, executor)
                # Django's requests never close their input; a server would.
                if lazy is not None:
                    await lazy.discard()
                elif stream is not None:
                    stream.close()
