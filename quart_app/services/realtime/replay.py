"""Where notifications are kept for replay, and how a reconnecting socket reads them back.

Ids: every notification takes its id from one stream, ``ws:event-ids`` (kept
at length 1), so ids are Redis stream ids (``<ms>-<seq>``) unique and ordered
across every log: two logs appended in the same millisecond never yield the
same id, which separate streams would.

Logs, both Redis Streams on a Redis bus (the memory twin otherwise), each
entry ``"<id>\\n<frame>"``:

- ``ws:log:<user_id>``: notifications addressed to that user;
- ``ws:broadcast-log``: notifications addressed to roles; the entry is
  ``"<id>\\n<role>,<role>\\n<frame>"``.

A socket that reconnects with ``last_event_id`` gets the entries after it from
its user log and from the broadcast log (those naming its role), merged in id
order; entries not of the shape above (other services write these logs too)
are logged and skipped. A log's own entry ids trail the notification ids (they
are appended just after), so both logs are read from the start of
``last_event_id``'s millisecond and then filtered on the notification id. Both
logs keep at most ``notification_log_maxlen`` entries and none older than
``notification_retention``; a replay that may have lost some of what followed
``last_event_id`` is marked incomplete so the client reloads.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bus import Bus, LogEntry, keys
from domain.orders import Role

log = logging.getLogger(__name__)

_MAX_SEQ = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Replay:
    """What a reconnecting socket missed: ``(id, frame)`` pairs in id order."""

    frames: list[tuple[str, str]]
    incomplete: bool


class NotificationLog:
    """Hands out notification ids, keeps frames for replay and reads them back."""

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

    async def next_id(self) -> str:
        """A new notification id, greater than every earlier one on this bus."""
        return await self._bus.log_append(
            keys.WS_EVENT_IDS, b"", maxlen=1, retention=self._retention
        )

    async def keep_for_user(self, user_id: str, event_id: str, frame: str) -> None:
        """Keep ``frame`` in ``user_id``'s log, which expires once nothing is left to replay."""
        key = keys.ws_user_log(user_id)
        await self._append(key, f"{event_id}\n{frame}")
        # Trimming happens only on append: without this, the log of a user who
        # gets nothing more would be kept forever.
        await self._bus.expire(key, self._retention)

    async def keep_broadcast(self, roles: Iterable[Role], event_id: str, frame: str) -> None:
        """Keep ``frame`` in the broadcast log for ``roles``."""
        names = ",".join(sorted(Role(role).value for role in roles))
        await self._append(keys.WS_BROADCAST_LOG, f"{event_id}\n{names}\n{frame}")

    async def _append(self, key: str, entry: str) -> None:
        await self._bus.log_append(key, entry, maxlen=self._maxlen, retention=self._retention)

    async def replay(self, user_id: str, role: Role, after_id: str) -> Replay:
        """What ``user_id`` in ``role`` was sent after ``after_id``, oldest first."""
        after = keys.id_key(after_id)
        # Every entry of that millisecond or later: see the module docstring.
        start = f"{after[0] - 1}-{_MAX_SEQ}" if after[0] else "0-0"
        own = await self._newer(keys.ws_user_log(user_id), start, after, fields=2)
        shared = await self._newer(keys.WS_BROADCAST_LOG, start, after, fields=3)
        frames = heapq.merge(
            ((event_id, frame) for event_id, frame in own),
            (
                (event_id, frame)
                for event_id, names, frame in shared
                if role.value in names.split(",")
            ),
            key=lambda pair: keys.id_key(pair[0]),
        )
        return Replay(list(frames), self._may_have_lost(after[0], own, shared))

    async def _newer(
        self, key: str, start: str, after: tuple[int, int], *, fields: int
    ) -> list[list[str]]:
        """The well-formed entries of ``key`` past ``after``, each split into ``fields`` lines."""
        # Twice the cap leaves room for that millisecond's entries up to after_id.
        entries = await self._bus.log_after(key, start, count=2 * self._maxlen)
        return [parts for parts in _split(key, entries, fields) if keys.id_key(parts[0]) > after]

    def _may_have_lost(self, after_ms: int, *newer: list[list[str]]) -> bool:
        # maxlen entries past the id: the cap may have trimmed some, or more
        # remain unread.
        if any(len(entries) >= self._maxlen for entries in newer):
            return True
        return after_ms < (self._clock() - self._retention) * 1000


def _split(key: str, entries: list[LogEntry], fields: int) -> Iterator[list[str]]:
    for entry in entries:
        try:
            parts = entry.data.decode().split("\n", fields - 1)
        except UnicodeDecodeError:
            parts = []
        if len(parts) == fields and all(parts) and keys.EVENT_ID.fullmatch(parts[0]):
            yield parts
        else:
            log.warning("skipped malformed entry %s of %s", entry.id, key)
