"""One Redis against a 3-master Redis Cluster, in the same run: fan-out, AI round trips,
connections, and how evenly the shards share the channels.

    python -m bench.cluster [--messages 20000] [--requests 2000] [--channels 12]

Starts a private ``redis-server`` and a cluster of 3 masters and 3 replicas
(free ports, a temp dir, stopped at the end), then on each:

- fan-out: one publisher instance publishes ``--messages`` notifications, 100 in
  flight, spread over ``--channels`` channels, to two subscriber instances;
  delivered messages/s (both instances together) and publish-to-receipt latency;
- AI round trips: ``--requests`` requests, 50 in flight, answered by the scripted
  AI Server on a bus of its own; requests/s and round-trip latency;
- pub/sub connections each instance holds once it listens on every channel.

Figures for the cluster are also given as a ratio to one Redis. The shares: the
fraction of the channels (so of the traffic) each master carries, with naive hash
tags ``{0}..{n-1}`` and with the tags this bench picks, one per equal stretch of
the 16,384 slots.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from bus import make_bus
from bus.ai import AIRequester
from bus.base import Bus
from bus.cluster import ClusterBus
from tests.support.ai_server import answering
from tests.support.redis_cluster import RedisClusterProcesses
from tests.support.redis_server import RedisServer


def spread_tags(count: int) -> list[str]:
    """One hash tag per equal stretch of the slots, so contiguous slot ranges (what
    ``redis-cli --cluster create`` gives each master) each get their share."""
    tags: list[str] = []
    candidate = 0
    for stretch in range(count):
        low = stretch * REDIS_CLUSTER_HASH_SLOTS // count
        high = (stretch + 1) * REDIS_CLUSTER_HASH_SLOTS // count
        while not low <= key_slot(str(candidate).encode()) < high:
            candidate += 1
        tags.append(str(candidate))
        candidate = 0
    return tags


def _channels(tags: list[str]) -> list[str]:
    return [f"bench:notify:{{{tag}}}" for tag in tags]


async def _fan_out(url: str, channels: list[str], messages: int) -> dict[str, float]:
    publisher = make_bus(url)
    listeners = [make_bus(url) for _ in range(2)]
    for bus in (publisher, *listeners):
        await bus.connect()
    subscriptions = [await bus.subscribe(*channels, buffer=messages) for bus in listeners]
    latencies: list[float] = []

    async def receive(subscription: object) -> None:
        for _ in range(messages):
            message = await subscription.get(timeout=30)  # type: ignore[attr-defined]
            latencies.append(time.perf_counter() - float(message.data))

    receivers = [asyncio.create_task(receive(subscription)) for subscription in subscriptions]
    started = time.perf_counter()
    for first in range(0, messages, 100):
        await asyncio.gather(
            *(
                publisher.publish(channels[n % len(channels)], repr(time.perf_counter()))
                for n in range(first, min(first + 100, messages))
            )
        )
    await asyncio.gather(*receivers)
    elapsed = time.perf_counter() - started
    connections = getattr(listeners[0], "pubsub_connections", 1)
    for bus in (publisher, *listeners):
        await bus.close()
    latencies.sort()
    return {
        "delivered/s": 2 * messages / elapsed,
        "p50 ms": 1000 * statistics.median(latencies),
        "p99 ms": 1000 * latencies[int(0.99 * len(latencies))],
        "pubsub conns": connections,
    }


async def _round_trips(url: str, requests: int) -> dict[str, float]:
    bus, worker = make_bus(url), make_bus(url)
    await bus.connect()
    await worker.connect()
    requester = AIRequester(bus)
    latencies: list[float] = []

    async def one() -> None:
        started = time.perf_counter()
        await requester.request("llm", {}, timeout=30)
        latencies.append(time.perf_counter() - started)

    async with answering(worker):
        await one()
        latencies.clear()
        started = time.perf_counter()
        for first in range(0, requests, 50):
            await asyncio.gather(*(one() for _ in range(min(50, requests - first))))
        elapsed = time.perf_counter() - started
    await requester.close()
    await bus.close()
    await worker.close()
    return {"requests/s": requests / elapsed, "rt p50 ms": 1000 * statistics.median(latencies)}


async def _shares(bus: Bus, tags: list[str]) -> list[float]:
    assert isinstance(bus, ClusterBus)
    owners = Counter(bus.master_of(channel) for channel in _channels(tags))
    masters = sorted(owners)
    return [owners[master] / len(tags) for master in masters] + [0.0] * (3 - len(masters))


async def main(messages: int, requests: int, channel_count: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    single = RedisServer(folder / "single")
    cluster = RedisClusterProcesses(folder / "cluster")
    try:
        await single.start()
        await cluster.start()
        tags = spread_tags(channel_count)
        rows: dict[str, dict[str, float]] = {}
        for name, url in (("one Redis", single.url), ("cluster", cluster.url)):
            rows[name] = await _fan_out(url, _channels(tags), messages)
            rows[name] |= await _round_trips(url, requests)
        columns = list(rows["one Redis"])
        print(f"{'':12}" + "".join(f"{column:>14}" for column in columns))
        for name, row in rows.items():
            print(f"{name:12}" + "".join(f"{row[column]:>14.1f}" for column in columns))
        ratio = {c: rows["cluster"][c] / rows["one Redis"][c] for c in columns}
        print(f"{'ratio':12}" + "".join(f"{ratio[column]:>14.2f}" for column in columns))
        probe = make_bus(cluster.url)
        await probe.connect()
        naive = await _shares(probe, [str(n) for n in range(channel_count)])
        spread = await _shares(probe, tags)
        await probe.close()
        print(f"shares of {channel_count} channels per master, naive {{0}}..{{n-1}}: "
              + " ".join(f"{share:.2f}" for share in naive))  # fmt: skip
        print(f"shares of {channel_count} channels per master, spread tags:   "
              + " ".join(f"{share:.2f}" for share in spread))  # fmt: skip
    finally:
        await cluster.stop()
        await single.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--channels", type=int, default=12)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.requests, args.channels))
