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

Position in the logs: ids are taken when a relay claims its rows, and two
relays publish in either order, so a lower id may be published after a higher
one. Each entry carries :attr:`bus.LogEntry.order`, numbered from
``ws:publish-order`` by the batch that appends it, in the script that also
publishes it (on one Redis and the memory bus: atomic, so the numbers are the
order of publishing). A socket that reconnects with ``last_event_id`` gets,
from its user log and from every broadcast log (entries naming its role),
read in one batch, the entries numbered after the first entry of that id, in
that order, whatever their ids. When that id has no numbered entry in what is
read (trimmed, too old, never published), and for entries without a number
(another publisher's), the notification id decides: greater ones follow, and
an unnumbered entry takes its place by id. Entries not of the shape above
(other services write these logs too) are logged and skipped. A log's own
entry ids trail the notification ids (they are appended later), but on a
cluster by another master's clock than the id stream's, so every log is read
from ``LOG_CLOCK_SKEW`` s before ``last_event_id``'s millisecond: masters'
clocks must agree within that. On a cluster the numbers are taken in a round
trip before the batch's pipeline, not atomically with it: batches of two
relays that overlap there may be published in the other order than numbered
(README, Scaling out). Every log
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
from collections.abc import Callable, Iterable, Sequence
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
    """What a reconnecting socket missed: ``(id, frame)`` pairs in the order published."""

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
        (two on a Redis Cluster).

        The first id issued into empty storage becomes its epoch, so no id
        the logs may hold is older than their epoch: the id script sets it
        unless it exists (:meth:`bus.Bus.log_ids`' ``first_into``).
        """
        if count <= 0:
            return []
        return await self._bus.log_ids(keys.WS_EVENT_IDS, count, first_into=keys.WS_EPOCH)

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
        """What ``user_id`` in ``role`` was sent after ``after_id``, in the order published."""
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
        read = [
            _well_formed(user_log, own_entries, fields=2),
            *(
                _well_formed(log, entries, fields=3)
                for log, entries in zip(self._read_logs, shared_entries, strict=True)
            ),
        ]
        position = _position_of(after, read)
        newer = [[entry for entry in log if entry.follows(after, position)] for log in read]
        own, *shared = newer
        addressed = [
            *own,
            *(entry for log in shared for entry in log if role.value in entry.roles),
        ]
        # A notification published twice (an outbox retry) is in a log twice.
        unique = {entry.event_id: entry.frame for entry in _in_published_order(addressed)}
        return Replay(list(unique.items()), self._may_have_lost(after[0], *newer))

    def _may_have_lost(self, after_ms: int, *newer: list[_Logged]) -> bool:
        # maxlen entries past the id: the cap may have trimmed some, or more
        # remain unread.
        if any(len(entries) >= self._maxlen for entries in newer):
            return True
        return after_ms < (self._clock() - self._retention) * 1000


@dataclass(frozen=True, slots=True)
class _Logged:
    """A well-formed log entry: the notification's id, the entry's order (if it was
    numbered), the roles it names (none in a user log) and the frame."""

    event_id: str
    key: tuple[int, int]
    order: int | None
    roles: tuple[str, ...]
    frame: str

    def follows(self, after: tuple[int, int], position: int | None) -> bool:
        """Whether it was published after the notification ``after``, whose entry has
        the order ``position`` (if it is in the logs and numbered)."""
        if position is None or self.order is None:
            return self.key > after
        return self.order > position


def _position_of(after: tuple[int, int], logs: list[list[_Logged]]) -> int | None:
    """The order of the first numbered entry of notification ``after`` in ``logs``."""
    orders = [
        entry.order
        for entries in logs
        for entry in entries
        if entry.order is not None and entry.key == after
    ]
    return min(orders, default=None)


def _in_published_order(entries: list[_Logged]) -> list[_Logged]:
    """Numbered entries by their order; one without (another publisher's) by its id
    among them."""
    numbered = sorted((entry for entry in entries if entry.order is not None), key=_order)
    others = sorted((entry for entry in entries if entry.order is None), key=_id_key)
    merged: list[_Logged] = []
    taken = 0
    for entry in numbered:
        while taken < len(others) and others[taken].key < entry.key:
            merged.append(others[taken])
            taken += 1
        merged.append(entry)
    return [*merged, *others[taken:]]


def _order(entry: _Logged) -> int:
    return entry.order or 0


def _id_key(entry: _Logged) -> tuple[int, int]:
    return entry.key


def _well_formed(key: str, entries: list[LogEntry], *, fields: int) -> list[_Logged]:
    """The entries of ``key`` that have ``fields`` lines, the first an id; the
    others are logged and skipped."""
    kept = []
    for entry in entries:
        try:
            parts = entry.data.decode().split("\n", fields - 1)
        except UnicodeDecodeError:
            parts = []
        if len(parts) == fields and all(parts) and keys.EVENT_ID.fullmatch(parts[0]):
            roles = tuple(parts[1].split(",")) if fields == 3 else ()
            kept.append(_Logged(parts[0], keys.id_key(parts[0]), entry.order, roles, parts[-1]))
        else:
            log.warning("skipped malformed entry %s of %s", entry.id, key)
    return kept
