"""Pub/sub: fan-out, patterns, bounded buffers, live-on-return subscriptions, and
odd channel names or a failed delivery costing no more than their own message."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from bus.base import Bus, BusError, Message
from bus.subscription import BufferedSubscription
from tests.support.bus_backends import Backend
from tests.support.waiting import eventually


async def test_a_message_reaches_every_subscriber(backend: Backend) -> None:
    other = await backend.peer()
    first = await backend.bus.subscribe("news")
    second = await backend.bus.subscribe("news")
    third = await other.subscribe("news")

    await backend.bus.publish("news", "hello")

    for subscription in (first, second, third):
        message = await asyncio.wait_for(subscription.get(), 2)
        assert message == Message("news", b"hello")


async def test_a_subscription_is_live_when_subscribe_returns(backend: Backend) -> None:
    publisher = await backend.peer()
    subscription = await backend.bus.subscribe("live")

    await publisher.publish("live", "first")

    assert await asyncio.wait_for(subscription.get(), 2) == Message("live", b"first")


def _needs_patterns(bus: Bus) -> None:
    if bus.sharded:
        pytest.skip("sharded pub/sub has no pattern subscriptions")


async def test_publish_counts_subscribed_instances_and_patterns(backend: Backend) -> None:
    await backend.bus.subscribe("c")
    await backend.bus.subscribe("c")  # the same instance counts once, as one connection
    if not backend.bus.sharded:
        await backend.bus.psubscribe("c*")

    assert await backend.bus.publish("c", "x") == (1 if backend.bus.sharded else 2)
    assert await backend.bus.publish("nobody", "x") == 0


async def test_many_channels_share_a_bounded_number_of_connections(backend: Backend) -> None:
    assert backend.bus.pubsub_connections == 0

    subscription = await backend.bus.subscribe(*(f"c-{n}" for n in range(50)))

    # None in memory, one on Redis, one per master on a cluster (50 names reach all 3).
    expected = {"memory": 0, "fakeredis": 1, "redis": 1, "cluster": 3}[backend.name]
    assert backend.bus.pubsub_connections == expected
    await subscription.close()


async def test_a_sharded_bus_refuses_pattern_subscriptions(bus: Bus) -> None:
    if not bus.sharded:
        pytest.skip("patterns work here")
    with pytest.raises(BusError, match="no pattern subscriptions"):
        await bus.psubscribe("c*")


async def test_a_subscriber_gets_only_its_channels(bus: Bus) -> None:
    subscription = await bus.subscribe("a", "b")

    await bus.publish("c", "not mine")
    await bus.publish("b", "mine")

    assert await asyncio.wait_for(subscription.get(), 2) == Message("b", b"mine")
    assert await subscription.get(timeout=0.05) is None


async def test_pattern_subscriptions_see_matching_channels(bus: Bus) -> None:
    _needs_patterns(bus)
    # Pub/sub ignores Redis's db number: a prefix no other suite publishes on.
    subscription = await bus.psubscribe("pattern-test:result:*")

    await bus.publish("pattern-test:other", "no")
    await bus.publish("pattern-test:result:42", "yes")

    message = await asyncio.wait_for(subscription.get(), 2)
    assert message == Message("pattern-test:result:42", b"yes", pattern="pattern-test:result:*")
    assert await subscription.get(timeout=0.05) is None


async def test_messages_arrive_in_publish_order(bus: Bus) -> None:
    subscription = await bus.subscribe("ordered")

    for number in range(50):
        await bus.publish("ordered", str(number))

    received = [(await asyncio.wait_for(subscription.get(), 2)) for _ in range(50)]
    assert [message.data for message in received if message] == [
        str(number).encode() for number in range(50)
    ]


async def test_a_full_buffer_drops_the_oldest_and_counts_them(bus: Bus) -> None:
    subscription = await bus.subscribe("busy", buffer=3)
    # A roomy subscriber tells when all six arrived (on Redis they cross a socket).
    probe = await bus.subscribe("busy")
    for number in range(6):
        await bus.publish("busy", str(number))
    for _ in range(6):
        await asyncio.wait_for(probe.get(), 2)

    kept = [await subscription.get(timeout=5) for _ in range(3)]

    assert [message.data for message in kept if message] == [b"3", b"4", b"5"]
    assert subscription.dropped == 3


async def test_get_times_out_with_none(bus: Bus) -> None:
    subscription = await bus.subscribe("quiet")

    assert await asyncio.wait_for(subscription.get(timeout=0.05), 2) is None


async def test_a_closed_subscription_gets_nothing_more(backend: Backend) -> None:
    subscription = await backend.bus.subscribe("c")
    before = backend.subscriptions

    await subscription.close()
    await subscription.close()

    assert backend.subscriptions == before - 1
    assert await backend.bus.publish("c", "x") == 0
    assert await asyncio.wait_for(subscription.get(), 1) is None


async def test_closing_one_subscription_keeps_the_others(bus: Bus) -> None:
    leaving = await bus.subscribe("c")
    staying = await bus.subscribe("c")
    await leaving.close()

    await bus.publish("c", "still here")

    assert await asyncio.wait_for(staying.get(), 2) == Message("c", b"still here")


async def test_iteration_ends_when_the_subscription_closes(bus: Bus) -> None:
    subscription = await bus.subscribe("c")
    await bus.publish("c", "one")

    got: list[bytes] = []

    async def collect() -> None:
        async for message in subscription:
            got.append(message.data)

    collecting = asyncio.create_task(collect())
    await eventually(lambda: got == [b"one"])
    await subscription.close()

    await asyncio.wait_for(collecting, 2)
    assert got == [b"one"]


async def test_a_subscription_works_as_a_context_manager(backend: Backend) -> None:
    before = backend.subscriptions
    async with await backend.bus.subscribe("c") as subscription:
        await backend.bus.publish("c", "x")
        assert await asyncio.wait_for(subscription.get(), 2) == Message("c", b"x")

    assert backend.subscriptions == before


async def test_subscribing_again_after_everyone_left_works(bus: Bus) -> None:
    first = await bus.subscribe("again")
    await first.close()
    second = await bus.subscribe("again")

    await bus.publish("again", "back")

    assert await asyncio.wait_for(second.get(), 2) == Message("again", b"back")


@pytest.mark.parametrize("size", [0, -1])
async def test_a_buffer_must_hold_something(bus: Bus, size: int) -> None:
    with pytest.raises(ValueError, match="buffer"):
        await bus.subscribe("c", buffer=size)


async def test_closing_the_bus_ends_its_subscriptions(backend: Backend) -> None:
    other = await backend.peer()
    subscription = await other.subscribe("c")

    await other.close()

    assert await asyncio.wait_for(subscription.get(), 1) is None


async def test_channel_names_beyond_ascii_arrive_intact(bus: Bus) -> None:
    exact = await bus.subscribe("chat:ключ")

    await bus.publish("chat:ключ", "a")

    assert await asyncio.wait_for(exact.get(), 2) == Message("chat:ключ", b"a")
    if bus.sharded:
        return
    # Pub/sub ignores Redis's db number: a prefix no other suite publishes on.
    pattern = await bus.psubscribe("beyond-ascii:*")
    await bus.publish("beyond-ascii:日本☃", "b")
    assert await asyncio.wait_for(pattern.get(), 2) == Message(
        "beyond-ascii:日本☃", b"b", pattern="beyond-ascii:*"
    )


async def test_a_channel_that_is_not_utf8_arrives_and_later_messages_too(backend: Backend) -> None:
    if backend.publish_raw is None:
        pytest.skip("channel names are str here: there are no bytes to misread")
    _needs_patterns(backend.bus)  # only a pattern hears a name no one subscribed by
    # Pub/sub ignores Redis's db number: a prefix no other suite publishes on.
    pattern = await backend.bus.psubscribe("odd-names:*")
    exact = await backend.bus.subscribe("other")

    await backend.publish_raw(b"odd-names:\xff\xfe", b"odd")
    await backend.bus.publish("odd-names:1", "next")
    await backend.bus.publish("other", "also")

    assert await asyncio.wait_for(pattern.get(), 2) == Message(
        "odd-names:\ufffd\ufffd", b"odd", pattern="odd-names:*"
    )
    assert await asyncio.wait_for(pattern.get(), 2) == Message(
        "odd-names:1", b"next", pattern="odd-names:*"
    )
    assert await asyncio.wait_for(exact.get(), 2) == Message("other", b"also")


async def test_a_delivery_that_fails_costs_only_that_message(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    subscription = await backend.bus.subscribe("c")
    assert isinstance(subscription, BufferedSubscription)
    deliver = subscription.deliver
    failures = [RuntimeError("broken once")]

    def deliver_or_fail(message: Message) -> None:
        if failures:
            raise failures.pop()
        deliver(message)

    monkeypatch.setattr(subscription, "deliver", deliver_or_fail)

    # Memory delivers inside publish, so there the failure reaches the publisher;
    # on Redis the process's one pub/sub reader meets it instead.
    with contextlib.suppress(RuntimeError):
        await backend.bus.publish("c", "lost")
    await backend.bus.publish("c", "kept")

    assert await asyncio.wait_for(subscription.get(), 2) == Message("c", b"kept")
    assert await subscription.get(timeout=0.05) is None
    if backend.name != "memory":
        logged = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
        assert len(logged) == 1
        assert "could not be handled" in logged[0].getMessage()
