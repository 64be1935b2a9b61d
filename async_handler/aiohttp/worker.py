"""gunicorn workers that serve AsyncDjangoApplication on aiohttp, one event loop per process.

Process lifecycle only: the loop, signals, the heartbeat, max_requests and
graceful shutdown. Requests are the core's business (core/handler.py).

    gunicorn mysite.wsgi -k async_handler.worker.AiohttpWorker
"""

from __future__ import annotations

import asyncio
import functools
import gc
import ipaddress
import os
import signal
import sys
import traceback
from types import FrameType
from typing import Any, Callable

from gunicorn.workers import base

from ..core.exchange import RequestOptions
from ..core.watchdog import blocked_in
from ..metrics import WorkerMetrics
from . import boot
from .accesslog import access_options, route_package_logs
from .listeners import Listeners, connection_cap
from .server import DjangoServer
from .serverhooks import hooks_in_use, with_hooks


def _trust(allow: list[str]) -> Callable[[str], bool]:
    if "*" in allow:
        return lambda addr: True
    networks = [ipaddress.ip_network(a.strip(), strict=False) for a in allow if a.strip()]

    # Asked once per request with the peer's address; parsing it each time cost
    # about 7% of a sync hello's CPU in a py-spy profile.
    @functools.lru_cache(maxsize=4096)
    def trusted(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    return trusted


def _proxy_mode(value: Any) -> str:
    # gunicorn before 25 has a boolean --proxy-protocol; later ones name the version.
    if isinstance(value, bool) or value is None:
        return "auto" if value else "off"
    return str(value)


def _limit(value: int, unlimited: int) -> int:
    return value if value > 0 else unlimited


class AiohttpWorker(base.Worker):
    """Serves the Django application with aiohttp; every gunicorn setting applies."""

    #: Callable that makes the worker's event loop; variants change only this.
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = staticmethod(asyncio.new_event_loop)
    #: Seconds a stopping worker waits for keep-alive clients to take a last response.
    drain_linger: float = 0.5
    #: Seconds a request head may take to arrive (slowloris guard); None: gunicorn's
    #: timeout, capped at 30 s, since gunicorn itself has no header timeout.
    header_timeout: float | None = None
    #: Seconds a request body may go without a byte before 408; None: as header_timeout.
    body_timeout: float | None = None
    wsgi: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.exit_code = 0
        self._stop: asyncio.Event | None = None
        self._server: DjangoServer | None = None
        self._quick = False

    def init_process(self) -> None:
        boot.check_parser(self.log)
        self.loop = self.loop_factory()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        route_package_logs(self.log)
        self.wsgi = boot.served_application(self.wsgi, self.log, self.cfg.wsgi_app)
        threads = self.cfg.threads if self.cfg.threads > 1 else None
        boot.run_checks(self.log, threads, self.cfg.workers)

    def init_signals(self) -> None:
        assert self.loop is not None
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        self.loop.add_signal_handler(signal.SIGTERM, self._graceful_stop)
        self.loop.add_signal_handler(signal.SIGINT, self._quick_stop)
        self.loop.add_signal_handler(signal.SIGQUIT, self._quick_stop)
        self.loop.add_signal_handler(signal.SIGUSR1, self.log.reopen_files)
        self.loop.add_signal_handler(signal.SIGWINCH, lambda: None)
        # SIGABRT comes from the arbiter when the heartbeat stopped, that is
        # when the loop is blocked, so it cannot wait for the loop.
        signal.signal(signal.SIGABRT, self.handle_abort)

    def handle_abort(self, sig: int, frame: FrameType | None) -> None:
        """The arbiter saw no heartbeat: the loop is blocked, so name what blocks it."""
        self.log.critical("Event loop blocked for over %s s in %s; aborting the worker",
                          self.cfg.timeout, blocked_in(frame))
        if frame is not None:
            self.log.error("Blocked at:\n%s", "".join(traceback.format_stack(frame)))
        super().handle_abort(sig, frame)

    def _graceful_stop(self) -> None:
        self.alive = False
        if self._stop is not None:
            self._stop.set()

    def _quick_stop(self) -> None:
        self._quick = True
        self.cfg.worker_int(self)
        self._graceful_stop()

    def _request_started(self) -> None:
        self.nr += 1
        if self.nr >= self.max_requests and self.alive:
            self.log.info("Autorestarting worker after current request.")
            if self._server is not None:
                self._server.keep_alive = False
            self._graceful_stop()

    def server_options(self) -> dict[str, Any]:
        """aiohttp server settings from gunicorn's configuration."""
        cfg = self.cfg
        options: dict[str, Any] = {
            "handler_cancellation": True,
            "keepalive_timeout": float(cfg.keepalive),
            "max_line_size": _limit(cfg.limit_request_line, 1024 * 1024),
            "max_field_size": _limit(cfg.limit_request_field_size, 1024 * 1024),
            "max_headers": _limit(cfg.limit_request_fields, 32768),
            "header_timeout": self._client_timeout(self.header_timeout),
            "proxy_protocol": _proxy_mode(getattr(cfg, "proxy_protocol", "off")),
            "proxy_allowed": _trust(list(getattr(cfg, "proxy_allow_ips", ["127.0.0.1", "::1"]))),
            "logger": self.log.error_log,
            "access_log": None,
            "on_request": self._request_started,
        }
        options.update(access_options(self.log, cfg))
        return options

    def request_options(self) -> RequestOptions:
        cfg = self.cfg
        return RequestOptions(
            script_name=os.environ.get("SCRIPT_NAME", ""),
            is_ssl=bool(cfg.is_ssl),
            trust_forwarded=_trust(list(cfg.forwarded_allow_ips)),
            secure_scheme_headers=dict(cfg.secure_scheme_headers),
            body_timeout=self._client_timeout(self.body_timeout),
            header_map=getattr(cfg, "header_map", "drop"),
            forwarder_headers=frozenset(getattr(cfg, "forwarder_headers", ())),
            multiprocess=cfg.workers > 1,
        )

    def _client_timeout(self, chosen: float | None) -> float:
        # A sync worker stuck on a slow client is killed after --timeout; here
        # the same budget bounds the client instead, capped at 30 s.
        if chosen is not None:
            return chosen
        return min(float(self.cfg.timeout), 30.0) if self.cfg.timeout > 0 else 30.0

    def run(self) -> None:
        assert self.loop is not None
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()
        sys.exit(self.exit_code)

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = self.wsgi
        threads = self.cfg.threads if self.cfg.threads > 1 else None
        await app.startup(self.request_options(), threads=threads)
        # What is alive after start-up (modules, URLconf, settings) lives as long
        # as the worker: frozen, the GC's full passes stop walking it.
        gc.collect()
        gc.freeze()
        options = self.server_options()
        handler: Any = app
        if hooks_in_use(self.cfg, self.log):
            handler = with_hooks(self, app)
            options["count_body_bytes"] = True  # for the hooks' resp.sent
        server = self._server = DjangoServer(handler, **options)
        server.keep_alive = self.cfg.keepalive > 0
        ssl_ctx = None
        if self.cfg.is_ssl:
            from gunicorn.sock import ssl_context

            ssl_ctx = ssl_context(self.cfg)
        listeners = Listeners(server, [s.sock for s in self.sockets],
                              backlog=self.cfg.backlog, ssl_context=ssl_ctx)
        await listeners.start()
        server.on_connections = connection_cap(self.cfg.worker_connections, listeners)
        heartbeat = asyncio.ensure_future(self._heartbeat())
        metrics = WorkerMetrics(app, server)
        metrics.start(getattr(self.log, "gauge", None), sock=getattr(self.log, "sock", None))
        try:
            if self.alive:
                await self._stop.wait()
        finally:
            await listeners.close()
            grace = 0.0 if self._quick else float(self.cfg.graceful_timeout)
            try:
                await server.drain(grace, self.drain_linger)
            finally:
                heartbeat.cancel()
                metrics.stop()
                await app.shutdown()

    async def _heartbeat(self) -> None:
        """Tell the arbiter the loop runs, and notice a lost parent or a reloader's stop."""
        assert self._stop is not None
        interval = min(1.0, self.timeout / 2) if self.timeout else 1.0
        while True:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                self._graceful_stop()
            elif not self.alive:
                self._stop.set()
            await asyncio.sleep(interval)


class AiohttpUVLoopWorker(AiohttpWorker):
    """The same worker on uvloop's event loop (pip install async_handler[uvloop])."""

    @staticmethod
    def loop_factory() -> asyncio.AbstractEventLoop:
        import uvloop

        return uvloop.new_event_loop()
