"""Batches: commands run in the order queued, with each command's result, in one round trip."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import AbstractConnection

from bus.base import Bus, BusError
from bus.redis import RedisBus
from tests.support.bus_backends import open_backend

DAY = 86_400.0


def _key(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


async def test_a_batch_runs_its_commands_in_order_and_answers_each(bus: Bus) -> None:
    await bus.set("taken", "old")
    subscription = await bus.subscribe("news")
    batch = bus.batch()
    batch.log_append("log", "first", maxlen=100, retention=DAY)
    batch.expire("log", DAY)
    batch.publish("news", "one")
    batch.log_append("log", "second", maxlen=100, retention=DAY)
    batch.set("taken", "new", only_if_missing=True)
    batch.set("free", "new", only_if_missing=True)
    batch.expire("missing", DAY)
    batch.publish("news", "two")

    first, expired, receivers, second, *rest = await batch.execute()

    assert _key(first) < _key(second)
    assert (expired, receivers, rest) == (True, 1, [False, True, False, 1])
    assert [entry.data for entry in await bus.log_after("log", "0", count=10)] == [
        b"first",
        b"second",
    ]
    assert (await bus.get("taken"), await bus.get("free")) == (b"old", b"new")
    received = [await subscription.get(timeout=5) for _ in range(2)]
    assert [message.data for message in received if message] == [b"one", b"two"]
    await subscription.close()


async def test_a_numbered_batch_numbers_its_entries_across_logs_in_the_order_given(
    bus: Bus,
) -> None:
    first = bus.batch(order="numbers:{a}")
    first.log_append("log:{a}", "a1", maxlen=100, retention=DAY)
    first.publish("news", "between")
    first.log_append("log:{b}", "b1", maxlen=100, retention=DAY)
    await first.execute()
    second = bus.batch(order="numbers:{a}")
    second.log_append("log:{b}", "b2", maxlen=100, retention=DAY)
    second.log_append("log:{a}", "a2", maxlen=100, retention=DAY)
    await second.execute()
    await bus.log_append("log:{a}", "given", maxlen=100, retention=DAY, order=9)
    await bus.log_append("log:{a}", "unnumbered", maxlen=100, retention=DAY)

    a, b = [await bus.log_after(log, "0", count=10) for log in ("log:{a}", "log:{b}")]

    assert [(entry.data, entry.order) for entry in a] == [
        (b"a1", 1),
        (b"a2", 4),
        (b"given", 9),
        (b"unnumbered", None),
    ]
    assert [(entry.data, entry.order) for entry in b] == [(b"b1", 2), (b"b2", 3)]
    assert await bus.get("numbers:{a}") == b"4"


async def test_a_batch_numbered_from_a_key_that_holds_no_integer_is_refused(bus: Bus) -> None:
    await bus.set("numbers", "text")
    batch = bus.batch(order="numbers")
    batch.log_append("log", "refused", maxlen=100, retention=DAY)

    with pytest.raises(BusError):
        await batch.execute()

    assert await bus.log_after("log", "0", count=10) == []


async def test_a_batch_reads_several_logs_each_after_its_own_id(bus: Bus) -> None:
    first = await bus.log_append("log:{a}", "a1", maxlen=100, retention=DAY)
    await bus.log_append("log:{a}", "a2", maxlen=100, retention=DAY)
    await bus.log_append("log:{b}", "b1", maxlen=100, retention=DAY)
    batch = bus.batch()
    batch.log_after("log:{a}", first, count=10)
    batch.log_after("log:{b}", "0", count=10)
    batch.log_after("log:{missing}", "0", count=10)

    after_a, all_b, missing = await batch.execute()

    assert [entry.data for entry in after_a] == [b"a2"]
    assert [entry.data for entry in all_b] == [b"b1"]
    assert missing == []


async def test_an_empty_batch_does_nothing(bus: Bus) -> None:
    assert await bus.batch().execute() == []


@pytest.mark.redis
async def test_a_batch_on_redis_is_one_round_trip(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_backend("redis", redis_url) as backend:
        await _count_sends_of_a_batch(backend.bus, monkeypatch)


@pytest.mark.redis
async def test_a_batch_that_fails_part_way_raises_and_keeps_what_ran_before(
    redis_url: str,
) -> None:
    async with open_backend("redis", redis_url) as backend:
        bus = backend.bus
        await bus.set("a-string", "not a log")
        batch = bus.batch()
        batch.log_append("log", "kept", maxlen=100, retention=DAY)
        batch.log_append("a-string", "refused", maxlen=100, retention=DAY)

        with pytest.raises(BusError, match="WRONGTYPE"):
            await batch.execute()

        assert [entry.data for entry in await bus.log_after("log", "0", count=10)] == [b"kept"]


async def _count_sends_of_a_batch(bus: Bus, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(bus, RedisBus)
    await bus.ping()  # the pooled connection is open and checked
    sends = 0
    send = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        nonlocal sends
        sends += 1
        await send(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    batch = bus.batch()
    for n in range(100):
        batch.log_append("log", str(n), maxlen=1000, retention=DAY)
        batch.publish("news", str(n))

    results = await batch.execute()

    assert len(results) == 200
    assert sends == 1
