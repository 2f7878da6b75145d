"""Where notifications are kept for replay, and how a reconnecting socket reads them back.

Ids: every notification takes its id from one stream, ``ws:event-ids`` (kept
at length 1), so ids are Redis stream ids (``<ms>-<seq>``) unique and ordered
across every log: two logs appended in the same millisecond never yield the
same id, which separate streams would.

Logs, Redis Streams on a Redis bus (the memory twin otherwise), each
entry ``"<id>\\n<frame>"``:

- ``ws:log:<user_id>``: notifications addressed to that user;
- ``ws:broadcast-log``: notifications addressed to roles; the entry is
  ``"<id>\\n<role>,<role>\\n<frame>"``. On a Redis Cluster there is one per
  notification partition, ``ws:broadcast-log:{<tag>}``, in its channel's slot
  (:func:`bus.keys.ws_broadcast_logs`), so the broadcasts' writes spread over
  the masters as their publishes do; ``ws:broadcast-log`` is read too, for
  publishers that don't partition.

A socket that reconnects with ``last_event_id`` gets the entries after it from
its user log and from every broadcast log (those naming its role), read in one
batch and merged in id order; entries not of the shape above (other services
write these logs too) are logged and skipped. A log's own entry ids trail the
notification ids (they are appended just after), but on a cluster by another
master's clock than the id stream's, so every log is read from
``LOG_CLOCK_SKEW`` s before ``last_event_id``'s millisecond and then filtered
on the notification id: masters' clocks must agree within that. Every log
keeps at most ``notification_log_maxlen`` entries and none older than
``notification_retention``; a replay that may have lost some of what followed
``last_event_id`` is marked incomplete so the client reloads.

Epoch: ``ws:epoch`` holds the first id issued after the logs' storage was
created (:meth:`NotificationLog.next_id` creates it with the first id). An ``last_event_id`` older
than the epoch was issued before that storage was lost (a Redis restart
without persistence, a flush): what followed it is gone, so its replay is
incomplete rather than silently short.

Position: a socket is told where it stands when it connects (:class:`Resume`):
its own ``last_event_id`` when everything after it follows, else the latest id
issued, read *after* the socket was registered, so everything published later
reaches it live and a reconnect from that position misses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from bus import Bus, LogEntry, keys
from bus.base import Batch
from domain.orders import Role
from quart_app.services.realtime import server_frames as frame_text
from quart_app.services.realtime.server_frames import role_names

log = logging.getLogger(__name__)

_MAX_SEQ = 2**64 - 1

LOG_CLOCK_SKEW = 1.0
"""How far (s) a log's master's clock may lag the id stream's (module docstring)."""


@dataclass(frozen=True, slots=True)
class Replay:
    """What a reconnecting socket missed: ``(id, frame)`` pairs in id order."""

    frames: list[tuple[str, str]]
    incomplete: bool


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a connecting socket stands, and what it is sent before live frames.

    ``frames`` are ``(id, frame)`` pairs: a ``replay_incomplete`` notice first
    (id ``None``) when some of what it missed is gone, then the missed frames.
    """

    position: str
    epoch: str
    frames: list[tuple[str | None, str]]


class NotificationLog:
    """Hands out notification ids, keeps frames for replay and reads them back."""

    def __init__(
        self,
        bus: Bus,
        *,
        maxlen: int,
        retention: float,
        broadcast_logs: Sequence[str] = (keys.WS_BROADCAST_LOG,),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self.broadcast_logs = tuple(broadcast_logs)
        """Where broadcasts are kept: partition ``i``'s in ``broadcast_logs[i]``."""
        # A replay reads ws:broadcast-log too: publishers that don't partition keep
        # their broadcasts there, on a cluster as well.
        self._read_logs = tuple(dict.fromkeys((*self.broadcast_logs, keys.WS_BROADCAST_LOG)))
        self._maxlen = maxlen
        self._retention = retention
        self._clock = clock

    async def next_id(self) -> str:
        """A new notification id, greater than every earlier one on this bus."""
        [event_id] = await self.next_ids(1)
        return event_id

    async def next_ids(self, count: int) -> list[str]:
        """``count`` new notification ids in increasing order, in one round trip
        (two when they are the first of their storage).

        The first id issued into empty storage becomes its epoch, so no id
        the logs may hold is older than their epoch.
        """
        if count <= 0:
            return []
        event_ids = await self._bus.log_ids(keys.WS_EVENT_IDS, count)
        await self._bus.set(keys.WS_EPOCH, event_ids[0], only_if_missing=True)
        return event_ids

    async def epoch(self) -> str:
        """The logs' epoch (module docstring), created if missing or unreadable."""
        current = await self._bus.get(keys.WS_EPOCH)
        if current is not None and keys.EVENT_ID.fullmatch(current.decode(errors="replace")):
            return current.decode()
        if current is not None:
            log.warning("replaced the malformed %s %r", keys.WS_EPOCH, current[:64])
            await self._bus.delete(keys.WS_EPOCH)
        await self.next_id()  # sets the epoch, unless another instance just did
        return await self.epoch()

    async def position(self) -> str:
        """The latest id issued (or the epoch, if the id stream has expired)."""
        latest = await self._bus.log_after(keys.WS_EVENT_IDS, "0-0", count=1)
        return latest[-1].id if latest else await self.epoch()

    async def resume(self, user_id: str, role: Role, last_event_id: str | None) -> Resume:
        """Where a socket of ``user_id`` in ``role``, just registered, stands (module docstring)."""
        epoch = await self.epoch()
        if last_event_id is None:
            return Resume(await self.position(), epoch, [])
        missed = await self.replay(user_id, role, last_event_id)
        if not missed.incomplete and keys.id_key(last_event_id) >= keys.id_key(epoch):
            return Resume(last_event_id, epoch, list(missed.frames))
        notice = (None, frame_text.replay_incomplete(last_event_id))
        return Resume(await self.position(), epoch, [notice, *missed.frames])

    def keep_for_user(self, batch: Batch, user_id: str, event_id: str, frame: str) -> None:
        """Queue keeping ``frame`` in ``user_id``'s log, which expires once nothing is
        left to replay."""
        key = keys.ws_user_log(user_id)
        self._append(batch, key, f"{event_id}\n{frame}")
        # Trimming happens only on append: without this, the log of a user who
        # gets nothing more would be kept forever.
        batch.expire(key, self._retention)

    def keep_broadcast(
        self, batch: Batch, roles: Iterable[Role], event_id: str, frame: str, *, partition: int
    ) -> None:
        """Queue keeping ``frame`` for ``roles`` in ``partition``'s broadcast log."""
        names = ",".join(role_names(frozenset(roles)))
        self._append(batch, self.broadcast_logs[partition], f"{event_id}\n{names}\n{frame}")

    def _append(self, batch: Batch, key: str, entry: str) -> None:
        batch.log_append(key, entry, maxlen=self._maxlen, retention=self._retention)

    async def replay(self, user_id: str, role: Role, after_id: str) -> Replay:
        """What ``user_id`` in ``role`` was sent after ``after_id``, oldest first."""
        after = keys.id_key(after_id)
        # Every entry from a little before that millisecond: see the module docstring.
        start_ms = after[0] - 1 - int(LOG_CLOCK_SKEW * 1000)
        start = f"{start_ms}-{_MAX_SEQ}" if start_ms >= 0 else "0-0"
        batch = self._bus.batch()
        user_log = keys.ws_user_log(user_id)
        for log in (user_log, *self._read_logs):
            # Twice the cap leaves room for the entries read before after_id.
            batch.log_after(log, start, count=2 * self._maxlen)
        own_entries, *shared_entries = await batch.execute()
        own = _newer(user_log, own_entries, after, fields=2)
        shared = [
            _newer(log, entries, after, fields=3)
            for log, entries in zip(self._read_logs, shared_entries, strict=True)
        ]
        frames = sorted(
            [
                *((event_id, frame) for event_id, frame in own),
                *(
                    (event_id, frame)
                    for entries in shared
                    for event_id, names, frame in entries
                    if role.value in names.split(",")
                ),
            ],
            key=lambda pair: keys.id_key(pair[0]),
        )
        # A notification published twice (an outbox retry) is in a log twice.
        unique = list({event_id: frame for event_id, frame in frames}.items())
        return Replay(unique, self._may_have_lost(after[0], own, *shared))

    def _may_have_lost(self, after_ms: int, *newer: list[list[str]]) -> bool:
        # maxlen entries past the id: the cap may have trimmed some, or more
        # remain unread.
        if any(len(entries) >= self._maxlen for entries in newer):
            return True
        return after_ms < (self._clock() - self._retention) * 1000


def _newer(
    key: str, entries: list[LogEntry], after: tuple[int, int], *, fields: int
) -> list[list[str]]:
    """The well-formed entries of ``key`` past ``after``, each split into ``fields`` lines."""
    return [parts for parts in _split(key, entries, fields) if keys.id_key(parts[0]) > after]


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
