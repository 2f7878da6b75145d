"""One Redis against a 3-master Redis Cluster, in the same run: notification fan-out,
AI round trips, connections per instance, and each master's share of the notifications.

    python -m bench.cluster [--messages 20000] [--requests 2000] [--partitions 24]

Starts a private ``redis-server`` and a cluster of 3 masters and 3 replicas
(free ports, a temp dir, stopped at the end), then on each:

- fan-out: one publisher instance raises ``--messages`` notifications through
  the service's own ``NotificationPublisher`` (ids taken, replay log kept and
  published in one pipeline per batch of 100, as the outbox relay does), every
  fourth to all staff (a broadcast log), the others to one of 500 users, each
  keyed by one of 1,000 orders, to two subscriber
  instances listening as the WebSocket manager does (``ws:notify`` on one Redis;
  on the cluster, also the ``--partitions`` partitions); delivered messages/s
  (both instances together) and write-to-receipt latency;
- AI round trips: ``--requests`` requests, 50 in flight, answered by the scripted
  AI Server on a bus of its own; requests/s and round-trip latency;
- connections one subscriber instance holds: pub/sub ones, and all of them
  (``CLIENT LIST`` of every node, by client name).

Figures for the cluster are also given as a ratio to one Redis. The shares: the
fraction of the notifications each master carried (counted per channel as they
arrived), what the same orders would give with naive hash tags
``{0}..{n-1}``, and each master's fraction of every command the notifications
cost (``INFO commandstats`` before and after the fan-out: ids, log appends,
trims and expiries, publishes).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis

from bus import keys, make_bus
from bus.ai import AIRequester
from bus.cluster import ClusterBus
from domain.orders import STAFF_ROLES
from quart_app.services.realtime.notifications import Notice, NotificationPublisher
from quart_app.services.realtime.server_frames import decode_envelope
from tests.support.ai_server import answering
from tests.support.redis_cluster import RedisClusterProcesses
from tests.support.redis_server import RedisServer

BATCH = 100
USERS = 500
ORDERS = 1000
STAFF_EVERY = 4
LISTENER = "bench-listener"


# Commands that are not notification traffic: probes, slot maps, subscribing.
_NOT_TRAFFIC = {
    *("ping", "info", "cluster", "client", "command", "hello", "readonly", "ssubscribe"),
    *("replconf", "script"),
}


def _notice(n: int) -> Notice:
    """Every fourth to all staff (``order.created``: a broadcast log), the rest to a user."""
    if n % STAFF_EVERY == 0:
        notice = Notice.to_roles(STAFF_ROLES, "order.created", {"n": n})
    else:
        notice = Notice.to_users((f"user-{n % USERS}",), "order.status_changed", {"n": n})
    return replace(notice, key=f"order-{n % ORDERS}")


async def _commands(ports: list[int]) -> dict[int, Counter[str]]:
    """Calls of each notification command so far (``INFO commandstats``), per node."""
    counts: dict[int, Counter[str]] = {}
    for port in ports:
        async with Redis(port=port) as client:
            stats = await client.info("commandstats")
        counts[port] = Counter(
            {
                name.removeprefix("cmdstat_"): int(stat["calls"])
                for name, stat in stats.items()
                if name.removeprefix("cmdstat_").split("|")[0] not in _NOT_TRAFFIC
            }
        )
    return counts


async def _fan_out(
    url: str, partitions: int, messages: int, nodes: list[int]
) -> tuple[dict[str, float], Counter[str], dict[int, Counter[str]]]:
    publisher_bus = make_bus(url)
    listeners = [make_bus(url, client_name=f"{LISTENER}-{n}") for n in range(2)]
    for bus in (publisher_bus, *listeners):
        await bus.connect()
    publisher = NotificationPublisher(
        publisher_bus, log_maxlen=1000, retention=600, partitions=partitions
    )
    channels = dict.fromkeys((keys.WS_NOTIFY_CHANNEL, *publisher.channels))
    subscriptions = [await bus.subscribe(*channels, buffer=messages) for bus in listeners]
    latencies: list[float] = []
    per_channel: Counter[str] = Counter()

    async def receive(subscription: object, count: bool) -> None:
        for _ in range(messages):
            message = await subscription.get(timeout=30)  # type: ignore[attr-defined]
            latencies.append(time.time() - decode_envelope(message.data).written_at)  # type: ignore[operator]
            if count:
                per_channel[message.channel] += 1

    receivers = [
        asyncio.create_task(receive(subscription, count=n == 0))
        for n, subscription in enumerate(subscriptions)
    ]
    before = await _commands(nodes)
    started = time.perf_counter()
    for first in range(0, messages, BATCH):
        ids = await publisher.log.next_ids(min(BATCH, messages - first))
        now = time.time()
        await publisher.publish_many(
            [(replace(_notice(first + n), written_at=now), i) for n, i in enumerate(ids)]
        )
    await asyncio.gather(*receivers)
    elapsed = time.perf_counter() - started
    after = await _commands(nodes)
    commands = {port: after[port] - before[port] for port in nodes}
    pubsub = listeners[0].pubsub_connections
    everything = await _connections_named(f"{LISTENER}-0", nodes)
    for bus in (publisher_bus, *listeners):
        await bus.close()
    latencies.sort()
    return (
        {
            "delivered/s": 2 * messages / elapsed,
            "p50 ms": 1000 * statistics.median(latencies),
            "p99 ms": 1000 * latencies[int(0.99 * len(latencies))],
            "pubsub conns": pubsub,
            "all conns": everything,
        },
        per_channel,
        commands,
    )


async def _connections_named(name: str, ports: list[int]) -> int:
    """Connections a client named ``name`` holds, over every node."""
    total = 0
    for port in ports:
        async with Redis(port=port) as client:
            total += sum(entry.get("name") == name for entry in await client.client_list())
    return total


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


def _shares(bus: ClusterBus, traffic: Counter[str]) -> list[float]:
    """Each master's fraction of ``traffic`` (messages per channel), masters sorted."""
    per_master: Counter[str] = Counter()
    for channel, count in traffic.items():
        per_master[bus.master_of(channel)] += count
    total = sum(traffic.values())
    return [per_master[master] / total for master in sorted(per_master)] + [0.0] * (
        3 - len(per_master)
    )


def _naive(traffic: Counter[str], partitions: int) -> Counter[str]:
    """The same notifications on naive tags ``ws:notify:{i}``, as one channel per partition."""
    naive: Counter[str] = Counter()
    for n in range(sum(traffic.values())):
        partition = keys.ws_notify_partition(_notice(n).ordering_key, partitions)
        naive[f"{keys.WS_NOTIFY_CHANNEL}:{{{partition}}}"] += 1
    return naive


def _print_commands(commands: dict[int, Counter[str]]) -> None:
    """Each master's share of every notification command, and what each command was."""
    total = sum(sum(counts.values()) for counts in commands.values())
    print(f"notification commands per master (INFO commandstats), {total} in all:")
    for _, counts in sorted(commands.items()):
        spread = ", ".join(f"{name} {calls}" for name, calls in counts.most_common())
        print(f"  {sum(counts.values()) / total:.3f}  {sum(counts.values()):>7}  ({spread})")


async def main(messages: int, requests: int, partitions: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    single = RedisServer(folder / "single")
    cluster = RedisClusterProcesses(folder / "cluster")
    try:
        await single.start()
        await cluster.start()
        rows: dict[str, dict[str, float]] = {}
        traffic: Counter[str] = Counter()
        commands: dict[int, Counter[str]] = {}
        masters = sorted(node.port for node in await cluster.masters())
        for name, url, nodes in (
            ("one Redis", single.url, [single.port]),
            ("cluster", cluster.url, masters),
        ):
            rows[name], traffic, commands = await _fan_out(url, partitions, messages, nodes)
            rows[name] |= await _round_trips(url, requests)
        columns = list(rows["one Redis"])
        print(f"{'':12}" + "".join(f"{column:>14}" for column in columns))
        for name, row in rows.items():
            print(f"{name:12}" + "".join(f"{row[column]:>14.1f}" for column in columns))
        ratio = {c: rows["cluster"][c] / rows["one Redis"][c] for c in columns}
        print(f"{'ratio':12}" + "".join(f"{ratio[column]:>14.2f}" for column in columns))
        probe = make_bus(cluster.url)
        assert isinstance(probe, ClusterBus)
        await probe.connect()
        measured = _shares(probe, traffic)
        naive = _shares(probe, _naive(traffic, partitions))
        await probe.close()
        print(f"notifications per master over {partitions} partitions, measured:      "
              + " ".join(f"{share:.3f}" for share in measured))  # fmt: skip
        print(f"the same orders on naive tags {{0}}..{{{partitions - 1}}}, computed: "
              + " ".join(f"{share:.3f}" for share in naive))  # fmt: skip
        _print_commands(commands)
    finally:
        await cluster.stop()
        await single.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--partitions", type=int, default=keys.WS_NOTIFY_PARTITIONS)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.requests, args.partitions))
