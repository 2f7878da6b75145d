"""Raising a notification: keep it for replay, then publish it once for every instance.

Any process with a :class:`bus.Bus` on the service's Redis can raise
notifications with :class:`NotificationPublisher`; the instances holding the
addressed sockets deliver them. README "Publishing notifications" spells out
the same steps for services written in other languages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bus import Bus, keys
from domain.orders import STAFF_ROLES, Role
from quart_app.services.realtime.replay import NotificationLog
from quart_app.services.realtime.server_frames import (
    Envelope,
    addressees,
    notification,
    parse_roles,
)


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification before it has an id: its type, data and addressees.

    Exactly one of ``user_ids`` and ``roles`` is non-empty. ``written_at``
    (Unix seconds) is when the change it announces was written, if known.
    ``key`` says what it must stay in order with (an order's id): on a Redis
    Cluster, notices of one key go out on one partition, so they arrive in the
    order published; without one, its addressees are its key.
    """

    event_type: str
    data: Mapping[str, Any]
    user_ids: tuple[str, ...] = ()
    roles: frozenset[Role] = field(default_factory=frozenset)
    written_at: float | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        if bool(self.user_ids) == bool(self.roles):
            raise ValueError("a notification needs users or roles, not both")

    @classmethod
    def to_users(cls, user_ids: Iterable[str], event_type: str, data: Mapping[str, Any]) -> Notice:
        """For every socket of each user, each named once."""
        users = tuple(dict.fromkeys(user_ids))
        if not users:
            raise ValueError("a notification needs at least one user")
        return cls(event_type, data, user_ids=users)

    @classmethod
    def to_roles(cls, roles: Iterable[Role], event_type: str, data: Mapping[str, Any]) -> Notice:
        """For every socket whose role is one of ``roles``."""
        chosen = frozenset(Role(role) for role in roles)
        if not chosen:
            raise ValueError("a broadcast needs at least one role")
        return cls(event_type, data, roles=chosen)

    @property
    def ordering_key(self) -> str:
        """:attr:`key`, else the addressees: ``42,cook-1`` or ``cook,manager``."""
        if self.key is not None:
            return self.key
        return ",".join(self.user_ids or sorted(role.value for role in self.roles))

    @property
    def target(self) -> dict[str, list[str]]:
        """The addressees as ``ws:notify`` spells them."""
        return addressees(self.user_ids, self.roles)

    @classmethod
    def from_target(
        cls,
        target: Mapping[str, list[str]],
        event_type: str,
        data: Mapping[str, Any],
        *,
        written_at: float | None = None,
        key: str | None = None,
    ) -> Notice:
        """The inverse of :attr:`target`."""
        if "user_ids" in target:
            users = tuple(dict.fromkeys(target["user_ids"]))
            return cls(event_type, data, user_ids=users, written_at=written_at, key=key)
        roles = parse_roles(tuple(target["roles"]))
        return cls(event_type, data, roles=roles, written_at=written_at, key=key)


class NotificationPublisher:
    """Sends notification frames ``{"type", "id", "ts", "data"}`` to users or roles.

    Each notification takes one id (unless given one), is serialized once, kept
    in the replay log of each addressee (a broadcast in its partition's broadcast
    log), and published as one :class:`Envelope`
    on ``ws:notify``; on a sharded bus (a Redis Cluster), on one of
    ``partitions`` channels (:func:`bus.keys.ws_notify_partitions`), chosen by
    its :attr:`Notice.ordering_key`, so that every master carries a share.
    :meth:`publish_many` sends a whole batch of them in one round trip, in the
    order given.
    """

    def __init__(
        self,
        bus: Bus,
        *,
        log_maxlen: int,
        retention: float,
        partitions: int = keys.WS_NOTIFY_PARTITIONS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self.log = NotificationLog(
            bus,
            maxlen=log_maxlen,
            retention=retention,
            broadcast_logs=(
                keys.ws_broadcast_logs(partitions) if bus.sharded else (keys.WS_BROADCAST_LOG,)
            ),
            clock=clock,
        )
        self.channels = (
            keys.ws_notify_partitions(partitions) if bus.sharded else (keys.WS_NOTIFY_CHANNEL,)
        )
        """Where notifications go out: ``ws:notify``, or a cluster's partitions."""

    def partition_of(self, notice: Notice) -> int:
        """The partition ``notice`` goes out on: its ordering key's (0 when unpartitioned)."""
        if len(self.channels) == 1:
            return 0
        return keys.ws_notify_partition(notice.ordering_key, len(self.channels))

    def channel_of(self, notice: Notice) -> str:
        """The channel ``notice`` goes out on: its partition's."""
        return self.channels[self.partition_of(notice)]

    async def publish(self, notice: Notice, *, event_id: str | None = None) -> str:
        """Keep ``notice`` for replay and publish it; return its id.

        An ``event_id`` taken earlier (:meth:`NotificationLog.next_id`) is used
        as it is: publishing again with the same id is how a retry lets the
        sockets that already got the frame drop the copy.
        """
        if event_id is None:
            event_id = await self.log.next_id()
        await self.publish_many([(notice, event_id)])
        return event_id

    async def publish_many(self, notices: Sequence[tuple[Notice, str]]) -> None:
        """Keep and publish each ``(notice, event_id)``, in this order, in one round trip.

        Every log entry and publish is queued in one :class:`bus.base.Batch`,
        so each addressee's log and each channel see them in the order given,
        and the entries are numbered in that order from ``ws:publish-order``; on a
        bus whose batches are atomic, that order is also the order they were
        published in, among every publisher's (``replay.py``, Position in the
        logs). A failure may leave some of them published: publish them again
        with the same ids.
        """
        batch = self._bus.batch(order=keys.WS_PUBLISH_ORDER)
        now = self._clock()
        for notice, event_id in notices:
            frame = notification(notice.event_type, event_id, now, notice.data)
            partition = self.partition_of(notice)
            if notice.user_ids:
                for user_id in notice.user_ids:
                    self.log.keep_for_user(batch, user_id, event_id, frame)
            else:
                self.log.keep_broadcast(batch, notice.roles, event_id, frame, partition=partition)
            envelope = Envelope(
                frame,
                event_id,
                user_ids=notice.user_ids,
                roles=notice.roles,
                written_at=notice.written_at,
            )
            batch.publish(self.channels[partition], envelope.encode())
        if len(batch):
            await batch.execute()

    async def send_to_users(
        self, user_ids: Iterable[str], event_type: str, data: Mapping[str, Any]
    ) -> str:
        """Notify every socket of each user (none is fine: it is kept for replay); the id."""
        return await self.publish(Notice.to_users(user_ids, event_type, data))

    async def send_to_user(self, user_id: str, event_type: str, data: Mapping[str, Any]) -> str:
        """Notify every socket of ``user_id``; return the event id."""
        return await self.send_to_users((user_id,), event_type, data)

    async def broadcast_to_roles(
        self, roles: Iterable[Role], event_type: str, data: Mapping[str, Any]
    ) -> str:
        """Notify every socket whose role is one of ``roles``; return the event id."""
        return await self.publish(Notice.to_roles(roles, event_type, data))

    async def broadcast_to_role(self, role: Role, event_type: str, data: Mapping[str, Any]) -> str:
        """Notify every socket of one role; return the event id."""
        return await self.broadcast_to_roles((role,), event_type, data)

    async def broadcast_to_staff(self, event_type: str, data: Mapping[str, Any]) -> str:
        """Notify every cook, delivery and manager socket; return the event id."""
        return await self.broadcast_to_roles(STAFF_ROLES, event_type, data)
