"""A socket's memory of the ids it delivered: exact, out of order, and about a kilobyte."""

from __future__ import annotations

import asyncio
import sys
import tracemalloc
from pathlib import Path

import pytest

from bus import keys
from domain.connections import Connection
from domain.orders import Role
from quart_app.services.realtime import delivered
from quart_app.services.realtime.delivered import RECENT_IDS, DeliveredIds, packed
from quart_app.services.realtime.local_socket import LocalSocket
from tests.support.waiting import WAIT

MS = 1_765_000_000_000  # a millisecond of December 2025


def test_packed_ids_order_as_redis_orders_them() -> None:
    ids = ["0-0", "0-1", "1-0", f"{MS}-0", f"{MS}-1", f"{MS}-1048575", f"{MS + 1}-0"]
    ids.append(f"{2**44 - 1}-0")
    assert sorted(ids, key=packed) == sorted(ids, key=keys.id_key) == ids  # type: ignore[arg-type]
    assert len({packed(event_id) for event_id in ids}) == len(ids)


@pytest.mark.parametrize(
    "event_id",
    [
        *["", "7", "7-", "-1", "7-1-2", "07-1", "7-01", "\u0667-1", "7-\u00b2", "x-1", " 7-1"],
        *[f"{2**44}-0", f"{MS}-1048576", "1" * 5000 + "-0"],  # too large
    ],
)
def test_ids_of_another_spelling_are_not_packed(event_id: str) -> None:
    assert packed(event_id) is None


def test_ids_from_interleaved_relays_are_each_delivered_once() -> None:
    delivered = DeliveredIds()
    # Relay B's batch lands before relay A's, which took its ids first; then a
    # row released after a failed publish goes out late with its old id.
    arrivals = ["6-0", "7-0", "4-0", "5-0", "9-0", "4-0", "8-0", "5-0", "9-0", "2-3"]
    first = [event_id for event_id in arrivals if delivered.first_time(event_id)]
    assert first == ["6-0", "7-0", "4-0", "5-0", "9-0", "8-0", "2-3"]


def test_ids_below_every_earlier_one_after_the_logs_were_lost_are_delivered() -> None:
    delivered = DeliveredIds()
    assert delivered.first_time(f"{MS}-0")
    # A new epoch on a Redis whose clock is behind: its ids start lower.
    assert [delivered.first_time(f"{MS - 5000 + n}-0") for n in range(3)] == [True] * 3
    assert not delivered.first_time(f"{MS - 5000}-0")


def test_a_repeat_is_dropped_while_among_the_last_recent_ids_delivered() -> None:
    delivered = DeliveredIds()
    assert delivered.first_time(f"{MS}-0")
    for n in range(1, RECENT_IDS):  # later, and some earlier, ids
        assert delivered.first_time(f"{MS + (n if n % 2 else -n)}-0")
    assert not delivered.first_time(f"{MS}-0")  # the oldest of the last RECENT_IDS
    assert delivered.first_time(f"{MS + RECENT_IDS}-0")
    assert delivered.first_time(f"{MS}-0")  # forgotten: the bound is RECENT_IDS


def test_ids_of_another_spelling_are_remembered_apart_and_exactly() -> None:
    delivered = DeliveredIds()
    assert [delivered.first_time(event_id) for event_id in ["7-1", "07-1", "job-7"]] == [True] * 3
    assert not any(delivered.first_time(event_id) for event_id in ["7-1", "07-1", "job-7"])
    for n in range(10_000):
        delivered.first_time(f"job-{n}")
    assert delivered.first_time("job-7")  # bounded like the rest
    assert not delivered.first_time("job-9999")


def test_ten_thousand_ids_take_at_most_a_ring_of_eight_bytes_each() -> None:
    delivered = DeliveredIds()
    empty = sys.getsizeof(delivered)
    for n in range(10_000):
        delivered.first_time(f"{MS + n // 3}-{n % 3}")
    full = sys.getsizeof(delivered)
    assert empty <= 80
    assert full <= empty + 8 * RECENT_IDS + 128  # the array's header


class CountingPeer:
    def __init__(self) -> None:
        self.sent = 0

    async def send(self, frame: str) -> None:
        self.sent += 1

    async def receive(self) -> str:
        await asyncio.Event().wait()
        return ""


async def test_a_socket_holds_about_a_kilobyte_for_ten_thousand_ids() -> None:
    socket = LocalSocket(Connection("c", "k", Role.COOK), queue_size=8, now=0.0)
    peer = CountingPeer()
    ids = [f"{MS + n // 3}-{n % 3}" for n in range(10_000)]
    serving = asyncio.create_task(socket.run(peer.receive, peer.send, lambda *_: None))
    await asyncio.sleep(0)
    for n in range(100):  # the parsing cache is full before counting starts
        packed(f"{MS - n}-0")
    tracemalloc.start()
    try:
        held: list[int] = []
        for n, event_id in enumerate(ids):
            socket.offer("frame", event_id)
            socket.offer("frame", event_id)  # a second copy, dropped
            if n % 4 == 3:
                await asyncio.sleep(0)  # the sender drains the queue
            if n in (0, 5_000, 9_999):
                held.append(_held_by_realtime())
    finally:
        tracemalloc.stop()
    socket.close(1001, "test over")
    await asyncio.wait_for(serving, WAIT)
    assert peer.sent == len(ids)
    # The ring, and the parsing cache's few entries; a dict of the last 128 id
    # strings grew by about 6.4 KB here.
    assert held[2] - held[0] <= 8 * RECENT_IDS + 512
    assert abs(held[2] - held[1]) <= 64  # bounded: nothing more once the ring is full


def _held_by_realtime() -> int:
    """Bytes allocated by the realtime service's own lines (not the event loop's) and alive."""
    folder = str(Path(delivered.__file__).parent / "*")
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, folder)])
    return sum(stat.size for stat in snapshot.statistics("filename"))
