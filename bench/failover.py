"""Recovery time of the bus when the Redis master dies under Sentinel, over several failovers.

    python -m bench.failover [--failovers 5] [--down-after-ms 1000] [--failover-timeout-ms 3000]

Starts a master, a replica and three sentinels (``redis-server`` on free ports,
in a temp dir, stopped at the end), a bus on ``redis+sentinel://`` with an AI
requester and a subscription, and an echo AI worker on a bus of its own. Each
round SIGKILLs the master and times, from the kill:

- ``promoted``: every sentinel names the new master (the floor: Sentinel's own
  detection and election, which no client can beat);
- ``commands``: a ``SET`` through the pool succeeds;
- ``pubsub``: a ``PUBLISH`` reaches the shared subscriber again;
- ``ai``: an AI request round trip (requester -> worker -> result) succeeds;

then restarts the dead node as a replica of the new master, waits until the
sentinels count it healthy, and goes again. Prints each round and the p50 and
max of each column, and ``recovery`` (the slowest of commands, pubsub, ai) as a
ratio to ``promoted``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bus import BusError, make_bus
from bus.ai import AIRequester
from bus.base import Bus, Subscription
from tests.support.ai_server import answering
from tests.support.sentinel_cluster import SentinelCluster

CHANNEL = "bench:failover"
GIVE_UP = 60.0
COLUMNS = ("promoted", "commands", "pubsub", "ai", "recovery")


async def _seconds_until(step: Callable[[], Awaitable[bool]], started: float) -> float:
    while True:
        try:
            if await step():
                return time.monotonic() - started
        except BusError:
            pass
        if time.monotonic() - started > GIVE_UP:
            raise RuntimeError(f"not back after {GIVE_UP} s")
        await asyncio.sleep(0.05)


async def _one_failover(
    cluster: SentinelCluster, bus: Bus, requester: AIRequester, subscription: Subscription
) -> dict[str, float]:
    old_port = await cluster.master_port()
    started = time.monotonic()
    dead = await cluster.kill_master()

    async def commands() -> bool:
        return await bus.set("bench:failover:key", "x", ttl=60)

    async def pubsub() -> bool:
        if not await bus.publish(CHANNEL, "ping"):
            return False
        return await subscription.get(timeout=1) is not None

    async def ai() -> bool:
        await requester.request("llm", {}, timeout=2)
        return True

    promoted, *back = await asyncio.gather(
        cluster.wait_for_new_master(old_port, within=GIVE_UP),
        *(_seconds_until(step, started) for step in (commands, pubsub, ai)),
    )
    await cluster.revive(dead)
    return dict(zip(COLUMNS, [promoted, *back, max(back)], strict=True))


async def main(failovers: int, down_after_ms: int, failover_timeout_ms: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as folder:
        cluster = SentinelCluster(
            Path(folder), down_after_ms=down_after_ms, failover_timeout_ms=failover_timeout_ms
        )
        await cluster.start()
        bus, worker_bus = make_bus(cluster.url), make_bus(cluster.url)
        requester = AIRequester(bus)
        try:
            await bus.connect()
            await requester.start()
            subscription = await bus.subscribe(CHANNEL)
            rounds = []
            async with answering(worker_bus):
                for number in range(1, failovers + 1):
                    measured = await _one_failover(cluster, bus, requester, subscription)
                    rounds.append(measured)
                    print(f"failover {number}: " + _row(measured), flush=True)
            _summary(rounds, down_after_ms, failover_timeout_ms)
        finally:
            await requester.close()
            await bus.close()
            await worker_bus.close()
            await cluster.stop()


def _row(values: dict[str, float]) -> str:
    return "  ".join(f"{name} {values[name]:5.2f} s" for name in COLUMNS)


def _summary(rounds: list[dict[str, float]], down_after_ms: int, failover_timeout_ms: int) -> None:
    p50 = {name: statistics.median(r[name] for r in rounds) for name in COLUMNS}
    worst = {name: max(r[name] for r in rounds) for name in COLUMNS}
    print(
        f"\n{len(rounds)} failovers, down-after-milliseconds {down_after_ms}, "
        f"failover-timeout {failover_timeout_ms}"
    )
    print("p50: " + _row(p50))
    print("max: " + _row(worst))
    print(f"recovery / promoted (p50): {p50['recovery'] / p50['promoted']:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--failovers", type=int, default=5)
    parser.add_argument("--down-after-ms", type=int, default=1000)
    parser.add_argument("--failover-timeout-ms", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(main(args.failovers, args.down_after_ms, args.failover_timeout_ms))
