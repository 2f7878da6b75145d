"""The replay logs: on a sharded bus a broadcast is kept in its partition's log, in its
channel's slot; a replay reads every log, whatever clock each log's master keeps."""

from __future__ import annotations

from dataclasses import replace

from redis.crc import key_slot

from bus import keys
from bus.memory import MemoryBus
from domain.orders import STAFF_ROLES, Role
from quart_app.services.realtime.notifications import Notice, NotificationPublisher
from tests.support.bus_backends import FakeClock, ShardedMemoryBus


def _order_created(n: int) -> Notice:
    return replace(Notice.to_roles(STAFF_ROLES, "order.created", {"n": n}), key=f"order-{n}")


async def test_on_a_sharded_bus_a_broadcast_is_kept_in_its_partition_s_own_log() -> None:
    publisher = NotificationPublisher(ShardedMemoryBus(), log_maxlen=100, retention=3600)
    logs = publisher.log.broadcast_logs
    notices = [_order_created(n) for n in range(48)]

    published = [await publisher.publish(notice) for notice in notices]

    assert logs == keys.ws_broadcast_logs(keys.WS_NOTIFY_PARTITIONS)
    for log, channel in zip(logs, publisher.channels, strict=True):
        assert key_slot(log.encode()) == key_slot(channel.encode())  # one master, one pipeline
    for notice, event_id in zip(notices, published, strict=True):
        kept = await publisher._bus.log_after(logs[publisher.partition_of(notice)], "0", count=99)
        assert event_id in [entry.data.decode().split("\n")[0] for entry in kept]
    assert await publisher._bus.log_after(keys.WS_BROADCAST_LOG, "0", count=1) == []
    assert len({publisher.partition_of(notice) for notice in notices}) > 3


async def test_a_replay_merges_every_partition_s_broadcasts_and_the_user_s_own_in_id_order() -> (
    None
):
    publisher = NotificationPublisher(ShardedMemoryBus(), log_maxlen=100, retention=3600)
    seen = await publisher.send_to_user("k", "order.assigned", {})
    missed = []
    for n in range(30):
        missed.append(await publisher.publish(_order_created(n)))
        if n % 5 == 0:
            missed.append(await publisher.send_to_user("k", "order.assigned", {"n": n}))
    await publisher.broadcast_to_role(Role.CUSTOMER, "not.for.cooks", {})

    replayed = await publisher.log.replay("k", Role.COOK, seen)

    assert [event_id for event_id, _ in replayed.frames] == missed
    assert not replayed.incomplete


async def test_an_entry_whose_log_s_clock_lags_the_id_stream_s_is_replayed() -> None:
    clock = FakeClock()
    bus = MemoryBus(clock=clock)
    publisher = NotificationPublisher(bus, log_maxlen=100, retention=3600, clock=clock)
    seen = await publisher.send_to_user("k", "order.assigned", {})
    later = await publisher.log.next_id()
    clock.advance(-0.5)  # the broadcast log's master is half a second behind
    await publisher.publish_many([(_order_created(1), later)])

    replayed = await publisher.log.replay("k", Role.COOK, seen)

    assert [event_id for event_id, _ in replayed.frames] == [later]


async def test_a_broadcast_kept_by_a_publisher_that_does_not_partition_is_replayed() -> None:
    bus = ShardedMemoryBus()
    publisher = NotificationPublisher(bus, log_maxlen=100, retention=3600)
    seen = await publisher.send_to_user("k", "order.assigned", {})
    theirs = await publisher.log.next_id()
    # Another service, as contract §6.6 describes it without partitions.
    await bus.log_append(keys.WS_BROADCAST_LOG, f"{theirs}\ncook\n{{}}", maxlen=100, retention=3600)
    ours = await publisher.publish(_order_created(1))

    replayed = await publisher.log.replay("k", Role.COOK, seen)

    assert [event_id for event_id, _ in replayed.frames] == [theirs, ours]
