"""Sharded pub/sub over a Redis Cluster: one shared ``SSUBSCRIBE`` connection per master.

A channel lives on the master that owns its hash slot, so every master that
owns a subscribed channel gets one :class:`SharedSubscriber` (sharded) of this
process, and no more: connections grow with the masters, never with the
channels. When a master's connection is lost and can't be restored at once, or
the server drops a channel because its slot moved (a reshard), the slot map is
read again and every channel whose slot another master owns now moves there,
with its subscriptions; connection listeners hear ``False`` meanwhile and
``True`` once every channel is live again (what was published meanwhile was
missed, as after any reconnect). A master that refuses a channel (``MOVED``:
the slot map was read a moment before a slot changed hands) fails its
subscribe at once; the slot map is read again and the channel tried again for
about a second, for a new subscription as for one being moved, before the
subscribe fails or the listeners hear ``False``: a slot in motion is not an
outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisClusterException

from bus.base import BusUnavailable
from bus.redis_errors import CONNECTION_ERRORS
from bus.redis_subscriber import ConnectionListeners, Listener, SharedSubscriber, SlotRefused
from bus.subscription import BufferedSubscription
from bus.tasks import stop_tasks

logger = logging.getLogger(__name__)

_FIRST_RETRY = 0.05
_LONGEST_RETRY = 0.5
# Refused subscriptions (MOVED) tried again before the bus counts as down: about 1 s.
_REFUSALS_IN_MOTION = 5


class ShardedSubscriber:
    """Every sharded subscription of a process, on one connection per master that owns one."""

    def __init__(
        self,
        client: RedisCluster,
        make_connection: Callable[[ClusterNode], AbstractConnection],
        *,
        health_check_interval: float,
    ) -> None:
        self._client = client
        self._make_connection = make_connection
        self._health_check_interval = health_check_interval
        self._links: dict[str, SharedSubscriber] = {}
        self._listeners = ConnectionListeners()
        self._moving = asyncio.Lock()
        self._mover: asyncio.Task[None] | None = None
        # Channels the server unsubscribed by itself: subscribed again wherever they live.
        self._dropped: set[str] = set()
        self._down = False
        self._closed = False

    @property
    def subscription_count(self) -> int:
        """Live subscriptions."""
        return len({sub for link in self._links.values() for sub in link.subscriptions()})

    @property
    def connection_count(self) -> int:
        """Pub/sub connections open now: at most one per master."""
        return len(self._links)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """See :meth:`bus.base.Bus.add_connection_listener`."""
        return self._listeners.add(listener)

    async def subscribe(self, names: tuple[str, ...], buffer: int) -> BufferedSubscription:
        """A subscription to channels ``names``, live on their masters when this returns;
        refused (a slot in motion), tried again on a fresh slot map, about a second."""
        delay = _FIRST_RETRY
        refusals = 0
        while True:
            try:
                return await self._subscribe(names, buffer)
            except SlotRefused as error:
                refusals += 1
                if refusals > _REFUSALS_IN_MOTION:
                    raise
                logger.info("a channel's slot is in motion (%s); retrying", error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _LONGEST_RETRY)
            with suppress(RedisClusterException, *CONNECTION_ERRORS):
                await self._client.nodes_manager.initialize()

    async def _subscribe(self, names: tuple[str, ...], buffer: int) -> BufferedSubscription:
        if self._closed:
            raise BusUnavailable("the bus is closed")

        async def unregister(subscription: BufferedSubscription) -> None:
            async with self._moving:
                for link in list(self._links.values()):
                    await link.unregister(names, subscription, patterns=False)

        subscription = BufferedSubscription(names, (), buffer, unregister)
        by_link: dict[str, list[str]] = {}
        async with self._moving:
            for name in names:
                by_link.setdefault(self._owner(name).name, []).append(name)
            try:
                for node_name, group in by_link.items():
                    await self._link(node_name).subscribe(
                        tuple(group), buffer, patterns=False, subscription=subscription
                    )
            except BaseException:  # unavailable, or the caller gave up (cancelled)
                subscription.end()
                for link in self._links.values():
                    await link.unregister(names, subscription, patterns=False)
                raise
        return subscription

    async def close(self) -> None:
        """Close every connection and end every subscription."""
        self._closed = True
        if self._mover is not None:
            await stop_tasks([self._mover])
        links, self._links = list(self._links.values()), {}
        for link in links:
            await link.close()

    def _owner(self, channel: str) -> ClusterNode:
        node = self._client.get_node_from_key(channel)
        if node is None:
            raise BusUnavailable(f"no master owns the slot of {channel!r}")
        return node

    def _link(self, node_name: str) -> SharedSubscriber:
        link = self._links.get(node_name)
        if link is None:
            node = self._client.get_node(node_name=node_name)
            if node is None:
                raise BusUnavailable(f"the cluster no longer has node {node_name}")
            link = SharedSubscriber(
                lambda: self._make_connection(node),
                health_check_interval=self._health_check_interval,
                sharded=True,
                on_moved=self._channel_dropped,
            )
            link.add_listener(self._link_changed)
            self._links[node_name] = link
        return link

    def _channel_dropped(self, channel: str) -> None:
        self._dropped.add(channel)
        self._move_soon()

    def _link_changed(self, up: bool) -> None:
        if not up:
            self._move_soon()
        elif not self._down:
            self._listeners.notify(up=True)

    def _move_soon(self) -> None:
        if self._closed or (self._mover is not None and not self._mover.done()):
            return
        self._mover = asyncio.create_task(self._move_until_live(), name="bus-shard-mover")

    async def _move_until_live(self) -> None:
        """Follow the slot map until every channel is live on the master that owns it."""
        delay = _FIRST_RETRY
        refusals = 0
        while not self._closed:
            in_motion = False
            try:
                await self._client.nodes_manager.initialize()
                moved = await self._move()
            except SlotRefused as error:
                # The slot map read and a master disagree while a slot changes hands:
                # the bus is not down, the next read agrees (the move ends with up).
                refusals += 1
                in_motion = refusals <= _REFUSALS_IN_MOTION
                logger.warning("a channel's slot is in motion (%s); retrying", error)
                moved = -1
            except (BusUnavailable, RedisClusterException, *CONNECTION_ERRORS) as error:
                logger.warning("cluster slot map unavailable (%s); retrying", error)
                moved = -1
            if moved >= 0 and all(link.up for link in self._links.values()):
                if self._down or moved:
                    logger.info("sharded subscriptions live again (%d channels moved)", moved)
                    self._down = False
                    self._listeners.notify(up=True)
                return
            if not self._down and not in_motion:
                self._down = True
                self._listeners.notify(up=False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _LONGEST_RETRY)

    async def _move(self) -> int:
        """Move each channel to its slot's owner now, open the links that are not,
        and close those left with no channel; return how many channels moved."""
        moved = 0
        async with self._moving:
            dropped, self._dropped = self._dropped, set()
            try:
                for node_name, link in list(self._links.items()):
                    for channel in link.channels():
                        owner = self._owner(channel).name
                        if owner != node_name or channel in dropped:
                            await self._link(owner).adopt(channel, await link.take(channel))
                            moved += 1
            except BusUnavailable:
                self._dropped |= dropped
                raise
            for node_name, link in list(self._links.items()):
                if not link.channels():
                    del self._links[node_name]
                    await link.close()
                elif not link.up:
                    await link.start()
        return moved
