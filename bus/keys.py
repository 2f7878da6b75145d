"""Every Redis key, queue and channel name the service uses, in one place."""

from __future__ import annotations

import re
import zlib
from functools import cache

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

AI_KINDS = ("stt", "llm", "image")
"""The kinds of one request, one result (docs/contract.md §1.1)."""
STT_STREAM = "stt_stream"
"""Streaming speech: one request, audio on a stream, many events (docs/contract.md §1.5)."""
AI_REQUEST_KINDS = (*AI_KINDS, STT_STREAM)


def ai_queue(kind: str) -> str:
    """Queue the AI Server pops requests of ``kind`` from (docs/contract.md §1.1)."""
    return f"ai:queue:{kind}"


def ai_result(request_id: str, *, tagged: bool = False) -> str:
    """Key *and* channel an AI result for ``request_id`` is stored under and published on.

    ``tagged`` (in a Redis Cluster) wraps the id in a hash tag, ``ai:result:{<id>}``,
    so that the key, the channel and every name built on them share one slot.
    """
    return f"ai:result:{{{request_id}}}" if tagged else f"ai:result:{request_id}"


def ai_audio(request_id: str, *, tagged: bool = False) -> str:
    """The Redis stream a ``stt_stream`` request's audio is appended to; ``tagged`` as
    for :func:`ai_result`, so that it shares the request's slot in a Redis Cluster."""
    return f"ai:audio:{{{request_id}}}" if tagged else f"ai:audio:{request_id}"


def ai_stream_final(reply_to: str, utterance: int) -> str:
    """Where the AI Server also stores the ``final`` of a stream's ``utterance``."""
    return f"{reply_to}:{utterance}"


def ai_stream_owner(reply_to: str) -> str:
    """Names the worker that took a ``stt_stream`` request (``SET NX``), so that a copy
    of the request (requeued after a worker was thought dead) is not served twice."""
    return f"{reply_to}:worker"


def ai_processing(worker_id: str, kind: str) -> str:
    """A worker's processing list of ``kind``: requests taken but not yet answered.

    Hash-tagged with its queue's name, ``ai:processing:{ai:queue:<kind>}:<worker>``,
    so that both share a slot in a Redis Cluster (the atomic move between them
    is a two-key command).
    """
    return f"{_PROCESSING_PREFIX}{{{ai_queue(kind)}}}:{worker_id}"


def ai_processing_worker(processing: str) -> str:
    """The worker id in a name made by :func:`ai_processing`."""
    return processing.removeprefix(_PROCESSING_PREFIX).partition("}:")[2]


_PROCESSING_PREFIX = "ai:processing:"
AI_WORKERS_PATTERN = f"{_PROCESSING_PREFIX}*"


def ai_worker_alive(worker_id: str) -> str:
    """Refreshed with a short TTL by a live AI worker: while it exists, that
    worker's processing list is not an orphan to requeue, and a hands-free stream
    it accepted (naming itself, docs/contract.md §1.5) is still served."""
    return f"ai:alive:{worker_id}"


# Held while a worker requeues the processing lists of dead workers, so that
# two workers starting together do not requeue the same request twice.
AI_REQUEUE_LOCK = "ai:lock:requeue"


def voice_session(session_id: str) -> str:
    """A conversation session, JSON, with a sliding TTL."""
    return f"voice:session:{session_id}"


def voice_session_lock(session_id: str) -> str:
    """Serializes turns on one conversation session across instances."""
    return f"voice:lock:{session_id}"


# Realtime notifications: every instance subscribes to this channel and delivers
# to its own sockets. Message shape: see README ("Publishing notifications").
WS_NOTIFY_CHANNEL = "ws:notify"

WS_NOTIFY_PARTITIONS = 24
"""How many channels notifications are spread over on a Redis Cluster, unless set:
a multiple of 2, 3, 4, 6, 8 and 12, so that as many masters each carry an equal share."""


def ws_notify_partitions(partitions: int) -> tuple[str, ...]:
    """The channels notifications are spread over on a Redis Cluster, ``ws:notify:{<tag>}``.

    Partition ``i``'s tag is the smallest number whose hash slot lies in the
    ``i``-th of ``partitions`` equal stretches of the 16,384 slots, so masters
    that own contiguous slot ranges (what ``redis-cli --cluster create`` and
    resharding by ranges give) each carry a share in proportion to their slots.
    Naive tags ``{0}``..``{n-1}`` hash where they may, and can leave a master idle.
    """
    return tuple(f"{WS_NOTIFY_CHANNEL}:{{{tag}}}" for tag in _spread_tags(partitions))


def ws_broadcast_logs(partitions: int) -> tuple[str, ...]:
    """The broadcast log of each notification partition on a Redis Cluster,
    ``ws:broadcast-log:{<tag>}``: tagged as the partition's channel, so that a
    broadcast's log entry and its publish go to one master, in one pipeline."""
    return tuple(f"{WS_BROADCAST_LOG}:{{{tag}}}" for tag in _spread_tags(partitions))


def ws_notify_partition(key: str, partitions: int) -> int:
    """The partition of notifications with ordering ``key`` (an order id): CRC-32 modulo."""
    return zlib.crc32(key.encode()) % partitions


@cache
def _spread_tags(count: int) -> tuple[str, ...]:
    if count < 1:
        raise ValueError("at least one partition")
    tags = []
    for stretch in range(count):
        low = stretch * REDIS_CLUSTER_HASH_SLOTS // count
        high = (stretch + 1) * REDIS_CLUSTER_HASH_SLOTS // count
        candidate = 0
        while not low <= key_slot(str(candidate).encode()) < high:
            candidate += 1
        tags.append(str(candidate))
    return tuple(tags)


EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
"""What a notification id (a stream id of ``WS_EVENT_IDS``) looks like."""


def id_key(event_id: str) -> tuple[int, int]:
    """A stream id as a tuple that sorts the way Redis orders ids."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def ws_user_log(user_id: str) -> str:
    """Per-user notification log (a Redis Stream) used to replay on reconnect."""
    return f"ws:log:{user_id}"


def ws_user_connections(user_id: str) -> str:
    """The slots of a user's open sockets on every instance (``Bus.claim_slot``)."""
    return f"ws:connections:{user_id}"


def ws_instance_stats(instance_id: str) -> str:
    """One instance's connection counts, refreshed with a short TTL."""
    return f"ws:stats:{instance_id}"


WS_INSTANCE_STATS_PATTERN = "ws:stats:*"


# Notifications addressed to roles rather than users: one shared log (one per
# partition on a Redis Cluster, ws_broadcast_logs), each entry naming its roles,
# that every connection of those roles replays from.
WS_BROADCAST_LOG = "ws:broadcast-log"

# Every notification's id comes from this one stream (kept at length 1), so ids
# are unique and ordered across the user logs and the broadcast logs. Taken a
# relay batch at a time (one script call), so on a Redis Cluster its master
# serves one call per batch, not one per notification.
WS_EVENT_IDS = "ws:event-ids"

# The logs' epoch: the first notification id issued after their storage was
# (re)created, kept without expiry. A Redis that lost its data has lost this key
# too; the next reader creates a newer one, so an id from before the loss is
# older than the epoch and its replay is known to be incomplete.
WS_EPOCH = "ws:epoch"

# Numbers every notification log entry in the order published (the entry's
# LogEntry.order), one batch at a time, in the same script as the entries and
# their PUBLISH on one Redis: a replay resumes after the position of the entry
# of the client's last id, whatever ids the entries after it carry.
WS_PUBLISH_ORDER = "ws:publish-order"
