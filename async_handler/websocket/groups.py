"""Groups on Channels' channel layer (settings.CHANNEL_LAYERS) for a WebSocket view.

A worker process subscribes one channel per group that has sockets in it,
however many of its sockets joined (feeds.py), and hands each message read
there to those sockets itself. Measured against a channel per socket read by
a task per socket (the model before, as Channels consumers have it;
bench_project/ws_groups.py) by `make bench --only websocket --repeat 2` on
2026-12-02 16:01 UTC (bench/results/WEBSOCKET.md): a group_send to 1,000
sockets of one group on two workers took 22 ms at p50 against 48 ms (157 ms
for Channels consumers on uvicorn), 27 against 77 ms of worker CPU, 4 KB
against 380 KB of Redis traffic; joining the sockets took 16 Redis commands
against 2,460. With 250 groups of four: 245 against 289 ms (322 ms), the
sender's 250 group_sends dominating. What arrives:

- `{"type": "websocket.send", "text": ...}` or `"bytes"`: sent to the client
  as is, without waking the view. Each socket has its own queue of sends, so
  a slow client waits alone (up to the send timeout, then it is dropped);
- anything else: handed to the view through `ws.events()`, an async iterator
  that ends when the socket closes. At most EVENT_BACKLOG events wait for a
  view that does not read them; past that the oldest is dropped, logged.

`ws.channel_name` gives the socket a channel of its own on first use, for
direct `channel_layer.send()`s; its messages are handled as a group's are.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, AsyncIterator

from django.core.exceptions import ImproperlyConfigured

from . import feeds

if TYPE_CHECKING:
    from .socket import WebSocket

logger = logging.getLogger("async_handler.websocket")
EVENT_BACKLOG = 100
# Group sends waiting for one slow client; past it the newest are dropped, as channels_redis
# drops a consumer's messages past its channel capacity (100 by default).
SEND_BACKLOG = 100
_END: Any = None


def channel_layer() -> Any:
    """settings.CHANNEL_LAYERS' default layer, or an error saying what to configure."""
    try:
        from channels.layers import get_channel_layer
    except ImportError as exc:
        raise ImproperlyConfigured(
            "WebSocket groups need Channels' channel layers: "
            "pip install 'async_handler[websocket]'") from exc
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured(
            "ws.join() needs a channel layer, and settings.CHANNEL_LAYERS has none. For one "
            "process: CHANNEL_LAYERS = {'default': {'BACKEND': "
            "'channels.layers.InMemoryChannelLayer'}}; across workers and hosts: "
            "'channels_redis.core.RedisChannelLayer' (pip install channels_redis).")
    return layer


class Membership:
    """One socket's groups (through its process's feeds), its sends and events queues."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.hub: feeds.Hub | None = None
        self.groups: set[str] = set()
        self._own: str | None = None
        self._own_reader: asyncio.Task[None] | None = None
        self._sends: deque[str | bytes] = deque()
        self._sender: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._leaving: list[asyncio.Task[None]] = []

    def _hub(self) -> feeds.Hub:
        if self.hub is None:
            self.hub = feeds.hub(channel_layer())
        return self.hub

    @property
    def channel_name(self) -> str | None:
        """This socket's own channel, made and read from the first time it is asked for."""
        if self._own is None and self.hub is not None and not self.ws.closed:
            self._own = self.hub.private_channel()
            if self._own is not None:
                self._own_reader = asyncio.ensure_future(
                    feeds.read(self.hub.layer, self._own, self.deliver))
        return self._own

    async def join(self, group: str) -> None:
        hub = self._hub()
        feed = hub.feed(group)
        feed.members.add(self)
        self.groups.add(group)
        try:
            await asyncio.shield(feed.ready)
        except asyncio.CancelledError:
            raise  # still a member: stop() releases it
        except BaseException:
            self._release(group)
            raise

    async def leave(self, group: str) -> None:
        closing = self._release(group)
        if closing is not None:
            await asyncio.shield(closing)

    def _release(self, group: str) -> asyncio.Task[None] | None:
        self.groups.discard(group)
        closing = self.hub.release(group, self) if self.hub is not None else None
        if closing is not None:
            self._leaving.append(closing)
        return closing

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._hub().call("group_send", group, message)

    def deliver(self, message: dict[str, Any]) -> None:
        """Take one message from the layer without waiting: queue a send or an event."""
        if message.get("type") != "websocket.send":
            self._event(message)
            return
        data = message.get("bytes")
        if data is None:
            data = message.get("text")
        if data is None or self.ws.closed:
            return
        if len(self._sends) >= SEND_BACKLOG:
            logger.warning("WebSocket client at %s does not keep up: dropped a group send",
                           self.ws.request.path)
            return
        self._sends.append(data)
        if self._sender is None:
            self._sender = asyncio.ensure_future(self._send())

    async def _send(self) -> None:
        ws = self.ws
        try:
            while self._sends and not ws.closed:
                data = self._sends.popleft()
                if isinstance(data, bytes):
                    await ws.send_bytes(data)
                else:
                    await ws.send_text(data)
        except Exception as exc:  # the socket closed under the send
            self._sends.clear()
            if not ws.closed:
                logger.warning("Sending a group message to %s failed: %r", ws.request.path, exc)
        finally:
            self._sender = None

    def _event(self, message: Any) -> None:
        if self._events.qsize() >= EVENT_BACKLOG:
            dropped = self._events.get_nowait()
            logger.warning("WebSocket view at %s does not read ws.events(): dropped %r",
                           self.ws.request.path, dropped.get("type") if dropped else None)
        self._events.put_nowait(message)

    def socket_closed(self) -> None:
        """Leave the groups at once and end ws.events() for the view."""
        for group in list(self.groups):
            self._release(group)
        self._event(_END)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        if self.ws.closed:
            return
        while True:
            message = await self._events.get()
            if message is _END:
                self._events.put_nowait(_END)  # for any other reader
                return
            yield message

    async def stop(self) -> None:
        """Stop reading and sending, and leave every group (the layer keeps members a day)."""
        tasks = [t for t in (self._own_reader, self._sender) if t is not None]
        for task in tasks:
            task.cancel()
        for group in list(self.groups):
            self._release(group)
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._leaving:
            await asyncio.shield(asyncio.gather(*self._leaving, return_exceptions=True))
