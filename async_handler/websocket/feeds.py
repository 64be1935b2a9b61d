"""A process's subscriptions on Channels' channel layer: one channel per group, fanned out here.

Each event loop (one per worker process) has a Hub per layer. The Hub keeps
a Feed per group that has local members: one channel of the layer, added to
the group once however many local sockets join it, read by one task that
hands every message to each local member without waiting on any of them
(groups.Membership.deliver). When the last local member leaves, or its
socket closes, the channel is discarded from the group.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from typing import Any, Callable, Protocol

from .. import conf

logger = logging.getLogger("async_handler.websocket")


class Member(Protocol):
    def deliver(self, message: dict[str, Any]) -> None: ...


async def read(layer: Any, channel: str, deliver: Callable[[dict[str, Any]], None]) -> None:
    """Hand each message on `channel` to `deliver`, until cancelled."""
    failures = 0
    while True:
        try:
            message = await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if isinstance(exc, TimeoutError) or type(exc).__name__ == "TimeoutError":
                # No message within the layer's blocking wait. redis-py 8 with channels_redis
                # 4.3 raises its TimeoutError where the 5 s BZPOPMIN would return nothing, on
                # every idle cycle, unless the host's socket_timeout is longer (check W007):
                # just wait again.
                logger.debug("Reading channel %s timed out (%r); again", channel, exc)
                continue
            # A transient failure (Redis timing out on a loaded machine, a reconnect) must
            # not leave the sockets deaf for the rest of their lives: read again, waiting
            # longer each time. Messages sent meanwhile wait in the channel.
            failures += 1
            logger.warning("Reading channel %s failed (%r); retrying", channel, exc)
            await asyncio.sleep(min(0.05 * 2 ** failures, 2.0))
            continue
        failures = 0
        deliver(message)


class Feed:
    """One group's channel in this process, the task reading it, and the local members."""

    def __init__(self, hub: Hub, group: str) -> None:
        self.hub, self.group = hub, group
        self.members: set[Member] = set()
        self.channel = ""
        self._reader: asyncio.Task[None] | None = None
        self._refresh: asyncio.TimerHandle | None = None
        self.ready: asyncio.Task[None] = asyncio.ensure_future(self._subscribe())

    async def _subscribe(self) -> None:
        try:
            self.channel = await self.hub.new_channel()
            await self.hub.call("group_add", self.group, self.channel)
        except BaseException:
            self.hub.forget(self)
            raise
        self._reader = asyncio.ensure_future(read(self.hub.layer, self.channel, self.fan_out))
        self._schedule_refresh()

    def _schedule_refresh(self) -> None:
        # The layer drops a group member after group_expiry (a day by default); a feed can
        # outlive that while its sockets come and go, so it joins again at half of it.
        expiry = getattr(self.hub.layer, "group_expiry", None)
        if expiry:
            self._refresh = asyncio.get_running_loop().call_later(
                expiry / 2, lambda: self.hub.spawn(self._join_again()))

    async def _join_again(self) -> None:
        if self.hub.feeds.get(self.group) is self:
            try:
                await self.hub.call("group_add", self.group, self.channel)
            except Exception as exc:
                logger.warning("Could not renew group %s: %r", self.group, exc)
            self._schedule_refresh()

    def fan_out(self, message: dict[str, Any]) -> None:
        for member in list(self.members):
            try:
                member.deliver(message)
            except Exception:  # one member's fault must not cost the others the message
                logger.exception("Delivering a message of group %s failed", self.group)

    async def close(self) -> None:
        """Stop reading and discard the channel from the group."""
        if self._refresh is not None:
            self._refresh.cancel()
        try:
            await self.ready
        except BaseException:
            return  # never added
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        try:
            await self.hub.call("group_discard", self.group, self.channel)
        except Exception as exc:
            logger.warning("Could not leave group %s: %r", self.group, exc)


class Hub:
    """This event loop's feeds on one layer, and the bound on its concurrent layer calls."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.feeds: dict[str, Feed] = {}
        self.prefix: str | None = None
        # redis-py 8's pool fails past 100 connections instead of waiting: a burst of joins
        # or group_sends waits here instead (CHANNEL_LAYER_CONCURRENCY).
        self._limit = asyncio.Semaphore(conf.get("CHANNEL_LAYER_CONCURRENCY"))
        self._tasks: set[asyncio.Task[Any]] = set()

    async def call(self, method: str, *args: Any) -> Any:
        async with self._limit:
            return await getattr(self.layer, method)(*args)

    async def new_channel(self) -> str:
        channel: str = await self.layer.new_channel()
        if self.prefix is None:
            # Process-specific names ("…!local") share their part up to "!": channels_redis
            # reads all of them with one BZPOPMIN per process (Channels' layer spec).
            self.prefix = channel[:channel.index("!") + 1] if "!" in channel else channel + "."
        return channel

    def private_channel(self) -> str | None:
        """A new channel name of this process's, without a layer call; None before the first."""
        return None if self.prefix is None else f"{self.prefix}ws{uuid.uuid4().hex}"

    def feed(self, group: str) -> Feed:
        feed = self.feeds.get(group)
        if feed is None:
            feed = self.feeds[group] = Feed(self, group)
        return feed

    def forget(self, feed: Feed) -> None:
        if self.feeds.get(feed.group) is feed:
            del self.feeds[feed.group]

    def release(self, group: str, member: Member) -> asyncio.Task[None] | None:
        """Remove a member; the last one out starts the group_discard (returned)."""
        feed = self.feeds.get(group)
        if feed is None or member not in feed.members:
            return None
        feed.members.discard(member)
        if feed.members:
            return None
        self.forget(feed)  # a join from now on subscribes afresh
        return self.spawn(feed.close())

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """A task kept referenced until done."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, Hub]] = (
    weakref.WeakKeyDictionary())


def hub(layer: Any) -> Hub:
    """The running loop's Hub for `layer`."""
    per_loop = _hubs.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(layer)
    if found is None:
        found = per_loop[layer] = Hub(layer)
    return found
