"""Bench-only: the subscription model groups.py had before, to measure against it.

async_handler/websocket/groups.py subscribes one layer channel per group per worker process and
fans out in the process (feeds.py). Here each socket that joins a group gets a channel of its
own on the layer, as a Channels consumer does, read by one task per socket: the model groups.py
shipped until 2026-12-02, kept so that `make bench --only websocket` measures both in one run.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, AsyncIterator

from async_handler.websocket.groups import _END, EVENT_BACKLOG, channel_layer

if TYPE_CHECKING:
    from async_handler.websocket.socket import WebSocket

logger = logging.getLogger("bench_project.ws_groups")


class SocketMembership:
    """One socket's channel, its groups, and the task that reads the channel."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.layer: Any = None
        self.channel_name: str | None = None
        self.groups: set[str] = set()
        self._reader: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[Any] = asyncio.Queue()

    async def _channel(self) -> str:
        if self.channel_name is None:
            self.layer = channel_layer()
            self.channel_name = await self.layer.new_channel()
            self._reader = asyncio.ensure_future(self._read(self.channel_name))
        return self.channel_name

    async def join(self, group: str) -> None:
        channel = await self._channel()
        await self.layer.group_add(group, channel)
        self.groups.add(group)

    async def leave(self, group: str) -> None:
        if group in self.groups:
            self.groups.discard(group)
            await self.layer.group_discard(group, self.channel_name)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await channel_layer().group_send(group, message)

    async def _read(self, channel: str) -> None:
        ws = self.ws
        failures = 0
        try:
            while not ws.closed:
                try:
                    message = await self.layer.receive(channel)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if isinstance(exc, TimeoutError) or type(exc).__name__ == "TimeoutError":
                        # No message within the layer's blocking wait. redis-py 8 with
                        # channels_redis 4.3 raises its TimeoutError where the 5 s BZPOPMIN
                        # would return nothing, on every idle cycle: just wait again.
                        logger.debug("Reading channel %s timed out (%r); again", channel, exc)
                        continue
                    # A transient failure of the layer (Redis timing out on a loaded
                    # machine, a reconnect) must not leave the socket deaf to its groups
                    # for the rest of its life: read again, waiting longer each time.
                    # Messages sent meanwhile wait in the channel.
                    failures += 1
                    logger.warning("Reading channel %s for %s failed (%r); retrying", channel,
                                   ws.request.path, exc)
                    await asyncio.sleep(min(0.05 * 2 ** failures, 2.0))
                    continue
                failures = 0
                kind = message.get("type")
                if kind == "websocket.send":
                    if message.get("bytes") is not None:
                        await ws.send_bytes(message["bytes"])
                    elif message.get("text") is not None:
                        await ws.send_text(message["text"])
                else:
                    self._event(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket closed under a send
            if not ws.closed:
                logger.warning("Sending to %s from channel %s stopped: %r", ws.request.path,
                               channel, exc)
        finally:
            self._event(_END)

    def _event(self, message: Any) -> None:
        if self._events.qsize() >= EVENT_BACKLOG:
            dropped = self._events.get_nowait()
            logger.warning("WebSocket view at %s does not read ws.events(): dropped %r",
                           self.ws.request.path, dropped.get("type") if dropped else None)
        self._events.put_nowait(message)

    def socket_closed(self) -> None:
        """Ends ws.events() for the view."""
        self._event(_END)

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        if self.ws.closed:
            return
        await self._channel()
        while True:
            message = await self._events.get()
            if message is _END:
                self._events.put_nowait(_END)  # for any other reader
                return
            yield message

    async def stop(self) -> None:
        """Stop reading and leave every group (the layer would expire them only after a day)."""
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        for group in list(self.groups):
            try:
                await self.leave(group)
            except Exception as exc:
                logger.warning("Could not leave group %s: %r", group, exc)
