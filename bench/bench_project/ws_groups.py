"""Bench-only: the subscription model groups.py did not choose, to measure against it.

groups.Membership gives each socket its own channel on the layer (as a Channels consumer
has). Here a worker process has one channel per group instead, shared by its local sockets
in that group: the layer holds one member per (group, process), and a message read from
that channel is sent to each local socket in a loop. Only `websocket.send` messages are
fanned out (what the bench sends); others go to each socket's ws.events() queue.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator

from async_handler.websocket.groups import _END, Membership, channel_layer

logger = logging.getLogger("bench_project.ws_groups")


class GroupFeed:
    """One group's channel in this process, the task reading it, and the local members."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.members: set[ProcessMembership] = set()
        self.layer: Any = channel_layer()
        self.channel = ""
        self.reader: asyncio.Task[None] | None = None
        self.joined = asyncio.ensure_future(self._join())

    async def _join(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # redis-py 8's idle TimeoutError, or a transient failure
                logger.debug("reading %s: %r", self.channel, exc)
                await asyncio.sleep(0 if isinstance(exc, TimeoutError) else 0.1)
                continue
            text = message.get("text") if message.get("type") == "websocket.send" else None
            for member in list(self.members):
                ws = member.ws
                if ws.closed:
                    continue
                if text is None:
                    member._event(message)
                    continue
                try:
                    await ws.send_text(text)
                except Exception as exc:  # that socket closed under the send
                    logger.debug("fan-out to a closed socket: %r", exc)

    async def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
        await self.layer.group_discard(self.group, self.channel)


_feeds: dict[str, GroupFeed] = {}


class ProcessMembership(Membership):
    """A socket's groups, each read through its process-wide GroupFeed."""

    async def join(self, group: str) -> None:
        feed = _feeds.get(group)
        if feed is None:
            feed = _feeds[group] = GroupFeed(group)
        feed.members.add(self)
        self.groups.add(group)
        await asyncio.shield(feed.joined)

    async def leave(self, group: str) -> None:
        if group not in self.groups:
            return
        self.groups.discard(group)
        feed = _feeds.get(group)
        if feed is None:
            return
        feed.members.discard(self)
        if not feed.members:
            del _feeds[group]
            await feed.stop()

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        while not self.ws.closed:
            message = await self._events.get()
            if message is _END:
                return
            yield message

    async def stop(self) -> None:
        for group in list(self.groups):
            await self.leave(group)
