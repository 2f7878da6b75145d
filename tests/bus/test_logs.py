"""Per-user logs: ids, reading after an id, length and age limits."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bus.base import Bus, BusError, LogEntry
from bus.redis import RedisBus
from tests.support.bus_backends import Backend, open_backend

DAY = 86_400.0
# Redis trims "~" whole nodes of 100 entries; more than that shows trimming on every backend.
MANY = 250


def _key(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


async def test_ids_increase_and_read_back_in_order(bus: Bus) -> None:
    ids = [
        await bus.log_append("log", f"event {number}", maxlen=100, retention=DAY)
        for number in range(20)
    ]

    assert [_key(entry_id) for entry_id in ids] == sorted({_key(entry_id) for entry_id in ids})
    entries = await bus.log_after("log", "0", count=100)
    assert entries == [LogEntry(entry_id, f"event {n}".encode()) for n, entry_id in enumerate(ids)]


async def test_ids_have_the_redis_form(bus: Bus) -> None:
    entry_id = await bus.log_append("log", "x", maxlen=10, retention=DAY)

    ms, seq = _key(entry_id)
    assert ms > 1_700_000_000_000
    assert seq >= 0


async def test_after_is_exclusive(bus: Bus) -> None:
    ids = [await bus.log_append("log", str(n), maxlen=100, retention=DAY) for n in range(5)]

    entries = await bus.log_after("log", ids[1], count=100)

    assert [entry.id for entry in entries] == ids[2:]
    assert await bus.log_after("log", ids[-1], count=100) == []


async def test_after_returns_at_most_count(bus: Bus) -> None:
    ids = [await bus.log_append("log", str(n), maxlen=100, retention=DAY) for n in range(5)]

    entries = await bus.log_after("log", "0", count=2)

    assert [entry.id for entry in entries] == ids[:2]


async def test_a_missing_log_is_empty(bus: Bus) -> None:
    assert await bus.log_after("nothing", "0", count=10) == []


async def test_maxlen_drops_the_oldest(bus: Bus) -> None:
    ids = [await bus.log_append("log", str(n), maxlen=10, retention=DAY) for n in range(MANY)]

    kept = await bus.log_after("log", "0", count=MANY)

    assert _key(kept[0].id) > _key(ids[0])
    assert 10 <= len(kept) < MANY
    assert [entry.id for entry in kept[-10:]] == ids[-10:]


async def test_retention_drops_old_entries(backend: Backend) -> None:
    retention = 0.05
    old = [
        await backend.bus.log_append("log", str(n), maxlen=1000, retention=retention)
        for n in range(MANY)
    ]
    await backend.advance(retention * 4)

    newest = await backend.bus.log_append("log", "new", maxlen=1000, retention=retention)

    kept = [entry.id for entry in await backend.bus.log_after("log", "0", count=MANY + 1)]
    assert old[0] not in kept
    assert len(kept) < MANY
    assert kept[-1] == newest


async def test_ids_keep_increasing_when_appends_share_a_millisecond(backend: Backend) -> None:
    ids = [await backend.bus.log_append("log", "x", maxlen=100, retention=DAY) for _ in range(50)]

    assert len(set(ids)) == 50
    assert [_key(i) for i in ids] == sorted(_key(i) for i in ids)


async def test_a_malformed_after_id_is_a_bus_error(bus: Bus) -> None:
    await bus.log_append("log", "x", maxlen=10, retention=DAY)

    with pytest.raises(BusError):
        await bus.log_after("log", "not-an-id", count=10)


async def test_an_entry_of_another_shape_reads_back_empty(redis_url: str) -> None:
    # Other services may XADD to the same logs; an entry without our field must
    # not fail the read of the ones around it.
    async with Redis.from_url(redis_url) as admin:
        await admin.flushdb()
        bus = RedisBus(redis_url)
        await bus.connect()
        try:
            first = await bus.log_append("log", "ours", maxlen=10, retention=DAY)
            foreign = (await admin.xadd("log", {"other": "shape"})).decode()
            last = await bus.log_append("log", "ours again", maxlen=10, retention=DAY)

            assert await bus.log_after("log", "0", count=10) == [
                LogEntry(first, b"ours"),
                LogEntry(foreign, b""),
                LogEntry(last, b"ours again"),
            ]
        finally:
            await bus.close()


async def test_an_id_log_hands_out_increasing_ids_and_keeps_only_the_newest(bus: Bus) -> None:
    first = await bus.log_ids("ids", 300)
    second = await bus.log_ids("ids", 2)

    keys = [_key(entry_id) for entry_id in first + second]
    assert keys == sorted(set(keys)) and len(keys) == 302
    assert await bus.log_after("ids", "0", count=10) == [LogEntry(second[-1], b"")]
    assert await bus.log_ids("ids", 0) == []


async def test_an_id_log_keeps_its_first_id_where_asked_unless_a_value_is_there(bus: Bus) -> None:
    first = await bus.log_ids("ids", 3, first_into="first-id")
    await bus.log_ids("ids", 2, first_into="first-id")

    assert await bus.get("first-id") == first[0].encode()
    assert await bus.log_ids("ids", 0, first_into="none-taken") == []
    assert await bus.get("none-taken") is None


@pytest.mark.redis
async def test_an_id_log_on_redis_takes_any_number_of_ids_in_two_appends(redis_url: str) -> None:
    async with open_backend("redis", redis_url) as backend:
        ids = await backend.bus.log_ids("ids", 500)
        more = await backend.bus.log_ids("ids", 1)

        assert (await _client_of(backend).xinfo_stream("ids"))["entries-added"] == 3
        keys = [_key(entry_id) for entry_id in ids + more]
        assert keys == sorted(set(keys)) and len(keys) == 501


@pytest.mark.redis
async def test_ids_after_a_sequence_too_long_to_count_on_exactly_still_increase(
    redis_url: str,
) -> None:
    async with open_backend("redis", redis_url) as backend:
        # Another process appended an id of its own, far ahead of the clock.
        await _client_of(backend).xadd("ids", {"d": ""}, id="99999999999999-9999999999999999")
        ids = await backend.bus.log_ids("ids", 3)

        assert ids == [f"99999999999999-{9999999999999999 + n}" for n in (1, 2, 3)]


def _client_of(backend: Backend) -> Redis:
    """The Redis client of ``backend``'s bus: the server's, or the master Sentinel names."""
    assert isinstance(backend.bus, RedisBus)
    return backend.bus._client
