"""The notification partitions of a Redis Cluster: their hash tags spread over the
slots, so that every master carries a share; a key always picks the same one."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from bus import keys

# The slots `redis-cli --cluster create` gives 3 masters.
THREE_MASTERS = ((0, 5460), (5461, 10922), (10923, 16383))


def _per_master(channels: tuple[str, ...]) -> list[int]:
    slots = [key_slot(channel.encode()) for channel in channels]
    return [sum(low <= slot <= high for slot in slots) for low, high in THREE_MASTERS]


@pytest.mark.parametrize("partitions", [1, 3, 16, 100, 256])
def test_partition_i_hashes_into_the_ith_equal_stretch_of_the_slots(partitions: int) -> None:
    channels = keys.ws_notify_partitions(partitions)

    assert len(set(channels)) == partitions
    for n, channel in enumerate(channels):
        assert channel.startswith("ws:notify:{") and channel.endswith("}")
        stretch = key_slot(channel.encode()) * partitions // REDIS_CLUSTER_HASH_SLOTS
        assert stretch == n, channel


def test_the_tags_are_the_same_for_every_process() -> None:
    assert _per_master(keys.ws_notify_partitions(keys.WS_NOTIFY_PARTITIONS)) == [8, 8, 8]
    assert keys.ws_notify_partitions(16)[:4] == (
        "ws:notify:{10}", "ws:notify:{3}", "ws:notify:{61}", "ws:notify:{43}",
    )  # fmt: skip


@pytest.mark.parametrize("partitions", [3, 6, 12, 16, 24, 32, 48, 64])
def test_three_masters_each_carry_a_third_within_20_percent(partitions: int) -> None:
    even = partitions / 3
    per_master = _per_master(keys.ws_notify_partitions(partitions))

    assert all(abs(count - even) <= 0.2 * even for count in per_master), per_master


def test_the_tags_are_even_where_naive_ones_leave_a_master_idle_or_short() -> None:
    assert _per_master(tuple(f"ws:notify:{{{n}}}" for n in range(3))) == [0, 2, 1]
    assert _per_master(keys.ws_notify_partitions(3)) == [1, 1, 1]
    assert _per_master(tuple(f"ws:notify:{{{n}}}" for n in range(16))) == [6, 6, 4]
    assert _per_master(keys.ws_notify_partitions(16)) == [5, 6, 5]


def test_a_key_always_picks_the_same_partition_and_keys_spread_over_all() -> None:
    picked = [keys.ws_notify_partition(f"order-{n}", 16) for n in range(1600)]

    assert picked == [keys.ws_notify_partition(f"order-{n}", 16) for n in range(1600)]
    assert set(picked) == set(range(16))
    assert all(60 <= picked.count(partition) <= 140 for partition in range(16))


def test_there_is_at_least_one_partition() -> None:
    with pytest.raises(ValueError, match="at least one"):
        keys.ws_notify_partitions(0)


def test_the_contract_lists_the_default_tags() -> None:
    contract = " ".join((Path(__file__).parents[2] / "docs" / "contract.md").read_text().split())
    tags = [channel.removeprefix("ws:notify:{").removesuffix("}") for channel in
            keys.ws_notify_partitions(keys.WS_NOTIFY_PARTITIONS)]  # fmt: skip

    assert f"`P` = {keys.WS_NOTIFY_PARTITIONS} the tags are `{' '.join(tags)}`" in contract
