"""AsyncDjangoApplication: one Django handler for WSGI servers and for aiohttp's loop.

Called as `app(environ, start_response)` it is Django's WSGIHandler, so a
plain WSGI server keeps working. Called as `app(aiohttp_request)` it returns
a coroutine that runs the full middleware chain on the event loop, awaits
async views there, and sends sync work to a bounded pool of threads that a
request holds only while a sync call of it runs (see threads/pool.py).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from functools import partial
from typing import Any, Callable

from aiohttp import web
from asgiref.sync import (
    AsyncToSync,
    SyncToAsync,
    ThreadSensitiveContext,
    async_to_sync,
    iscoroutinefunction,
    markcoroutinefunction,
)
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers import base
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler
from django.urls import set_urlconf
from django.utils.log import log_response

from . import client, conf, hop, lifecycle
from .body import BodyTimeout, BodyTooLarge, read_body
from .chain import Chain
from .request import ENVIRON_KEY, BadRequest, RequestOptions, build_environ
from .response import send_response
from .threads import RequestExecutor, ThreadPool
from .view import ViewRunner
from .watchdog import LoopWatchdog
from .websocket.aiohttp_socket import AiohttpUpgrade
from .websocket.transport import UPGRADE_KEY

logger = logging.getLogger("async_handler")


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


class AsyncDjangoApplication(WSGIHandler):
    """Django's handler for both worlds: WSGI callable and aiohttp request handler."""

    def __init__(self) -> None:
        # Middleware loads lazily, per mode, so that a process serving only
        # one of WSGI or aiohttp instantiates each middleware once.
        base.BaseHandler.__init__(self)
        self._middleware_chain: Any = None
        self._wsgi_lock = threading.Lock()
        self.chain: Chain | None = None
        self.pool: ThreadPool | None = None
        self.options = RequestOptions()
        self._settler: asyncio.Future[None] | None = None
        self._watchdog: LoopWatchdog | None = None

    # -- WSGI --------------------------------------------------------------

    def __call__(self, *args: Any) -> Any:
        """WSGI with (environ, start_response); aiohttp's handler with (request)."""
        if len(args) == 1:
            return self.handle(args[0])
        return WSGIHandler.__call__(self, *args)

    def get_response(self, request: Any) -> Any:
        """Django's synchronous get_response, loading the sync chain on first use."""
        if self._middleware_chain is None:
            with self._wsgi_lock:
                if self._middleware_chain is None:
                    self.load_middleware(is_async=False)
        return super().get_response(request)

    def make_view_atomic(self, view: Any) -> Any:
        # On the sync path Django runs async views with async_to_sync; here a
        # view that hands back a coroutine is run to completion the same way,
        # and client.session() gives each such view its own session.
        atomic = super().make_view_atomic(view)
        if iscoroutinefunction(atomic):
            async def scoped(request: Any, *args: Any, **kwargs: Any) -> Any:
                token = client.request_scope()
                try:
                    return await atomic(request, *args, **kwargs)
                finally:
                    await client.close_request_scope(token)

            return markcoroutinefunction(scoped)

        def resolving(request: Any, *args: Any, **kwargs: Any) -> Any:
            response = atomic(request, *args, **kwargs)
            if inspect.isawaitable(response):
                async def wait() -> Any:
                    token = client.request_scope()
                    try:
                        return await response
                    finally:
                        await client.close_request_scope(token)

                return async_to_sync(wait)()
            return response

        return resolving

    # -- the event loop ------------------------------------------------------

    async def startup(self, options: RequestOptions | None = None,
                      threads: int | None = None) -> None:
        """Build the async chain and thread pool, then run the STARTUP hooks."""
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
        await client.open()
        threshold = conf.get("SLOW_CALLBACK_WARNING")
        if threshold:
            self._watchdog = LoopWatchdog(float(threshold))
            self._watchdog.start()
        await lifecycle.run_hooks("STARTUP", self)

    async def shutdown(self) -> None:
        """Run the SHUTDOWN hooks, then stop the pool, closing each thread's DB connections."""
        await lifecycle.run_hooks("SHUTDOWN", self)
        if self._settler is not None:
            self._settler.cancel()
            self._settler = None
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        pool, self.pool = self.pool, None
        if pool is not None:
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

    async def handle(self, areq: web.BaseRequest) -> web.StreamResponse:
        """Serve one aiohttp request through Django."""
        try:
            environ = build_environ(areq, self.options)
        except BadRequest as exc:
            logger.warning("Bad request from %s: %s", areq.remote, exc)
            return web.Response(status=400, text=f"Bad Request: {exc}\n")
        areq[ENVIRON_KEY] = environ
        if self.pool is None:  # stopping: no thread pool left to serve with
            out = web.Response(status=503, text="Service Unavailable: shutting down\n")
            out.force_close()
            return out
        async with RequestScope(self.pool.executor()) as executor:
            return await self._serve(areq, environ, executor)

    async def _serve(self, areq: web.BaseRequest, environ: dict[str, Any],
                     executor: RequestExecutor) -> web.StreamResponse:
        response = None
        try:
            too_large = None
            try:
                await read_body(areq, environ, self.options,
                                data_upload_max=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                                spool_max=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
            except BodyTooLarge as exc:
                if not exc.django_limit:
                    logger.warning("Request body over %d bytes from %s: 413",
                                   exc.limit, areq.remote)
                    out = web.Response(status=413, text="Request Entity Too Large\n")
                    out.force_close()
                    return out
                too_large = exc
            except BodyTimeout as exc:
                logger.warning("Request body stalled for %s s from %s: 408", exc.timeout,
                               areq.remote)
                out = web.Response(status=408, text="Request Timeout\n")
                out.force_close()
                return out
            upgrade = None
            if "Upgrade" in areq.headers:  # a WebSocket view may take the connection over
                upgrade = environ[UPGRADE_KEY] = AiohttpUpgrade(areq)
            request = self.request_class(environ)
            if lifecycle.started_needs_thread():
                await self.run_sync(lifecycle.send_started, self.__class__, environ)
            if too_large is not None:
                response = await self.to_response(request, RequestDataTooBig(
                    "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."))
                response._resource_closers.append(request.close)
            else:
                response = await self.get_response_async(request)
            if upgrade is not None and upgrade.response is not None:
                return upgrade.response  # the socket was the response, and it has ended
            sent = await send_response(areq, response, self.run_sync)
            if too_large is not None:
                sent.force_close()
            return sent
        finally:
            if response is not None:
                lifecycle.close_response(response, executor)
            # WSGIRequest never closes its input; a WSGI server would.
            stream = environ.get("wsgi.input")
            if stream is not None:
                stream.close()


def get_async_application() -> AsyncDjangoApplication:
    """Set up Django and return the application, as get_wsgi_application() does."""
    import django

    django.setup(set_prefix=False)
    return AsyncDjangoApplication()
