"""The worker's listening sockets, on which it can stop and resume accepting.

gunicorn's --worker-connections caps the connections one worker holds open:
past it the worker stops accepting and new clients wait in the kernel's
backlog, as under gthread, until connections close. asyncio has no public way
to pause a server, so each asyncio Server here is built on a duplicate of the
listening socket and pausing closes it; the original socket stays open in the
worker, and with it the backlog.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import Any, Callable

logger = logging.getLogger("async_handler")


class Listeners:
    """asyncio servers for `sockets`, serving connections made by `factory`."""

    def __init__(self, factory: Callable[[], asyncio.BaseProtocol], sockets: list[socket.socket],
                 *, backlog: int, ssl_context: ssl.SSLContext | None) -> None:
        self.factory = factory
        self.sockets = sockets
        self.backlog = backlog
        self.ssl_context = ssl_context
        self._servers: list[asyncio.Server] = []
        self._closed = False
        self._changing: asyncio.Task[None] | None = None
        self._want = True

    @property
    def accepting(self) -> bool:
        return bool(self._servers)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for sock in self.sockets:
            self._servers.append(await loop.create_server(
                self.factory, sock=sock.dup(), backlog=self.backlog, ssl=self.ssl_context))

    async def pause(self) -> None:
        """Stop accepting; connections already accepted are kept and served."""
        servers, self._servers = self._servers, []
        loop = asyncio.get_running_loop()
        for server in servers:
            for sock in server.sockets:
                loop.remove_reader(sock.fileno())
        # Let connections accepted in this very loop pass attach to their
        # server first: asyncio resets one whose server closed between
        # accept and transport set-up.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        for server in servers:
            server.close()

    async def close(self) -> None:
        """Stop accepting for good and close the sockets, so new clients are refused."""
        self._closed = True
        if self._changing is not None:
            await asyncio.gather(self._changing, return_exceptions=True)
        await self.pause()
        for sock in self.sockets:
            sock.close()

    def want(self, accepting: bool) -> None:
        """Ask to accept or not; the change happens in the background, one at a time."""
        self._want = accepting
        if self._changing is None and not self._closed and accepting != self.accepting:
            self._changing = asyncio.ensure_future(self._settle())

    async def _settle(self) -> None:
        try:
            while not self._closed and self._want != self.accepting:
                await (self.start() if self._want else self.pause())
        except OSError:
            logger.exception("Could not resume accepting connections")
        finally:
            self._changing = None


def connection_cap(limit: int, listeners: Listeners) -> Callable[[int], Any]:
    """The callback a server calls with its open-connection count: pause at `limit`."""

    def changed(count: int) -> None:
        listeners.want(count < limit)

    return changed
