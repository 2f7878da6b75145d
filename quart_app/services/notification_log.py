"""Where notifications are kept for replay, and how a reconnecting socket reads them back.

Two kinds of log, both Redis Streams on a Redis bus (the memory twin otherwise):

- ``ws:log:<user_id>``: notifications addressed to that user; each entry is
  the event's JSON without its id (:func:`realtime_frames.event_body`).
- ``ws:broadcast-log``: notifications addressed to roles (``order.created``
  to all staff); each entry is ``"<role>,<role>\\n"`` followed by the body, so
  one broadcast has one id whoever receives it.

The frame id is the stream id (``<ms>-<seq>``). A socket that reconnects with
``last_event_id`` gets the entries after it from its user log and from the
broadcast log (those naming its role), merged in id order. Both logs keep at
most ``notification_log_maxlen`` entries and none older than
``notification_retention``; a replay that may have lost some of what followed
``last_event_id`` is marked incomplete so the client reloads.
"""

from __future__ import annotations

import heapq
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bus import Bus, LogEntry, keys
from domain.orders import Role
from quart_app.services.realtime_frames import with_id

EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
"""What a stream id looks like; ``last_event_id`` is checked against it."""


def id_key(event_id: str) -> tuple[int, int]:
    """A stream id as a tuple that sorts the way Redis orders ids."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass(frozen=True, slots=True)
class Replay:
    """What a reconnecting socket missed: ``(id, frame)`` pairs in id order."""

    frames: list[tuple[str, str]]
    incomplete: bool


class NotificationLog:
    """Appends notifications to the replay logs and reads them back."""

    def __init__(
        self,
        bus: Bus,
        *,
        maxlen: int,
        retention: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._maxlen = maxlen
        self._retention = retention
        self._clock = clock

    async def append_for_user(self, user_id: str, body: str) -> str:
        """Keep ``body`` in ``user_id``'s log; return its id."""
        return await self._append(keys.ws_user_log(user_id), body)

    async def append_broadcast(self, roles: Iterable[Role], body: str) -> str:
        """Keep ``body`` in the broadcast log for ``roles``; return its id."""
        names = ",".join(sorted(Role(role).value for role in roles))
        return await self._append(keys.WS_BROADCAST_LOG, f"{names}\n{body}")

    async def _append(self, log: str, entry: str) -> str:
        return await self._bus.log_append(
            log, entry, maxlen=self._maxlen, retention=self._retention
        )

    async def replay(self, user_id: str, role: Role, after_id: str) -> Replay:
        """What ``user_id`` in ``role`` was sent after ``after_id``, oldest first."""
        own = await self._bus.log_after(keys.ws_user_log(user_id), after_id, count=self._maxlen)
        shared = await self._bus.log_after(keys.WS_BROADCAST_LOG, after_id, count=self._maxlen)
        frames = heapq.merge(
            ((entry.id, with_id(entry.id, entry.data.decode())) for entry in own),
            _broadcasts_for(role, shared),
            key=lambda pair: id_key(pair[0]),
        )
        return Replay(list(frames), self._may_have_lost(after_id, own, shared))

    def _may_have_lost(self, after_id: str, *reads: list[LogEntry]) -> bool:
        # A full read means the log held at least maxlen entries past the id:
        # either more remain unread or the cap has trimmed some of them.
        if any(len(entries) >= self._maxlen for entries in reads):
            return True
        oldest_kept_ms = (self._clock() - self._retention) * 1000
        return id_key(after_id)[0] < oldest_kept_ms


def _broadcasts_for(role: Role, entries: list[LogEntry]) -> Iterable[tuple[str, str]]:
    for entry in entries:
        names, _, body = entry.data.decode().partition("\n")
        if role.value in names.split(","):
            yield entry.id, with_id(entry.id, body)
