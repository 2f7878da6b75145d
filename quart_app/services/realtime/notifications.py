"""Raising a notification: keep it for replay, then publish it once for every instance.

Any process with a :class:`bus.Bus` on the service's Redis can raise
notifications with :class:`NotificationPublisher`; the instances holding the
addressed sockets deliver them. README "Publishing notifications" spells out
the same steps for services written in other languages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bus import Bus, keys
from domain.orders import STAFF_ROLES, Role
from quart_app.services.realtime.frames import Envelope, notification
from quart_app.services.realtime.replay import NotificationLog


class NotificationPublisher:
    """Sends notification frames ``{"type", "id", "ts", "data"}`` to users or roles.

    Each call takes one id, serializes the frame once, keeps it in the replay
    log of each addressee, and publishes one :class:`Envelope` on ``ws:notify``.
    """

    def __init__(
        self,
        bus: Bus,
        *,
        log_maxlen: int,
        retention: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self.log = NotificationLog(bus, maxlen=log_maxlen, retention=retention, clock=clock)

    async def send_to_users(
        self, user_ids: Iterable[str], event_type: str, data: Mapping[str, Any]
    ) -> str:
        """Notify every socket of each user (none is fine: it is kept for replay); the id."""
        users = tuple(dict.fromkeys(user_ids))
        if not users:
            raise ValueError("a notification needs at least one user")
        event_id, frame = await self._frame(event_type, data)
        for user_id in users:
            await self.log.keep_for_user(user_id, event_id, frame)
        await self._publish(Envelope(frame, event_id, user_ids=users))
        return event_id

    async def send_to_user(self, user_id: str, event_type: str, data: Mapping[str, Any]) -> str:
        """Notify every socket of ``user_id``; return the event id."""
        return await self.send_to_users((user_id,), event_type, data)

    async def broadcast_to_roles(
        self, roles: Iterable[Role], event_type: str, data: Mapping[str, Any]
    ) -> str:
        """Notify every socket whose role is one of ``roles``; return the event id."""
        chosen = frozenset(Role(role) for role in roles)
        if not chosen:
            raise ValueError("a broadcast needs at least one role")
        event_id, frame = await self._frame(event_type, data)
        await self.log.keep_broadcast(chosen, event_id, frame)
        await self._publish(Envelope(frame, event_id, roles=chosen))
        return event_id

    async def broadcast_to_role(self, role: Role, event_type: str, data: Mapping[str, Any]) -> str:
        """Notify every socket of one role; return the event id."""
        return await self.broadcast_to_roles((role,), event_type, data)

    async def broadcast_to_staff(self, event_type: str, data: Mapping[str, Any]) -> str:
        """Notify every cook, delivery and manager socket; return the event id."""
        return await self.broadcast_to_roles(STAFF_ROLES, event_type, data)

    async def _frame(self, event_type: str, data: Mapping[str, Any]) -> tuple[str, str]:
        event_id = await self.log.next_id()
        return event_id, notification(event_type, event_id, self._clock(), data)

    async def _publish(self, envelope: Envelope) -> None:
        await self._bus.publish(keys.WS_NOTIFY_CHANNEL, envelope.encode())
