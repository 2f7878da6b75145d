"""AI request/response through the bus against raw redis-py, on the same Redis, in one run.

    python bench/bus_request_response.py [--redis URL] [--requests 3000] [--rounds 3]

An instant responder runs in a child process (raw redis-py: pops in batches,
answers each with ``SET ai:result:{id} EX 300`` + ``PUBLISH``). Three requesters
take turns against it:

- ``raw``: redis-py done the best way: one pattern subscriber (``ai:result:*``)
  routing results to futures by id, ``LPUSH`` then ``GET`` pipelined in one round trip;
- ``bus``: ``bus.ai.AIRequester`` on ``bus.redis.RedisBus`` (what the service runs);
- ``bus, subscribe per id``: the alternative design, one ``SUBSCRIBE`` per request
  multiplexed on the bus's shared pub/sub connection.

It prints sequential latency (p50/p99), throughput at 1, 10, 100 and 1000 in
flight (median of ``--rounds``), and the Redis client connections each requester
holds (``CLIENT LIST``, by client name) during its 1000-in-flight run. The
database given is FLUSHed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bus.ai import AIRequester, make_request_message, parse_result
from bus.keys import ai_queue, ai_result
from bus.redis import RedisBus

Request = Callable[[], Awaitable[Any]]
LEVELS = (1, 10, 100, 1000)
TIMEOUT = 30.0
QUEUE = ai_queue("llm")
PAYLOAD = {"transcript": "two French dinners, grand style"}


# the responder (child process) -------------------------------------------------
async def respond_forever(url: str) -> None:
    client = Redis.from_url(url, client_name="bench-responder")
    while True:
        batch = await client.rpop(QUEUE, 200)
        if not batch:
            popped = await client.brpop([QUEUE], timeout=1)
            batch = [popped[1]] if popped else []
        async with client.pipeline(transaction=False) as pipe:
            for raw in batch:
                request = json.loads(raw)
                reply = json.dumps(
                    {"request_id": request["request_id"], "status": "ok", "result": {"ok": True}}
                )
                pipe.set(ai_result(request["request_id"]), reply, ex=300)
                pipe.publish(ai_result(request["request_id"]), reply)
            await pipe.execute()


# the raw baseline ----------------------------------------------------------------
class RawRequester:
    """One pattern subscriber and futures by id, in plain redis-py."""

    def __init__(self, url: str) -> None:
        pool = BlockingConnectionPool.from_url(
            url, max_connections=8, timeout=5, client_name="bench-raw"
        )
        self.client = Redis(connection_pool=pool)
        self.pubsub = self.client.pubsub()
        self.waiting: dict[str, asyncio.Future[bytes]] = {}
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.pubsub.psubscribe(ai_result("*"))
        await self.pubsub.get_message(timeout=1)  # the confirmation: live from here
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        prefix = ai_result("")
        async for message in self.pubsub.listen():
            if message["type"] == "pmessage":
                future = self.waiting.get(message["channel"].decode().removeprefix(prefix))
                if future is not None and not future.done():
                    future.set_result(message["data"])

    async def request(self) -> dict[str, Any]:
        message = make_request_message("llm", PAYLOAD, timeout=TIMEOUT)
        request_id = message["request_id"]
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.waiting[request_id] = future
        try:
            async with asyncio.timeout(TIMEOUT):
                async with self.client.pipeline(transaction=False) as pipe:
                    pipe.lpush(QUEUE, json.dumps(message))
                    pipe.get(ai_result(request_id))
                    _, stored = await pipe.execute()
                raw = stored if stored is not None else await future
        finally:
            del self.waiting[request_id]
        return parse_result(request_id, raw)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
        await self.pubsub.aclose()
        await self.client.aclose()


# the alternative: a subscription per request on the shared connection -------------
async def request_subscribing_per_id(bus: RedisBus) -> dict[str, Any]:
    message = make_request_message("llm", PAYLOAD, timeout=TIMEOUT)
    request_id = message["request_id"]
    async with await bus.subscribe(ai_result(request_id)) as subscription:
        await bus.push(QUEUE, json.dumps(message))
        stored = await bus.get(ai_result(request_id))
        if stored is None:
            delivered = await subscription.get(timeout=TIMEOUT)
            stored = delivered.data if delivered else b""
    return parse_result(request_id, stored)


# measuring ----------------------------------------------------------------------------
async def latencies(request: Request, count: int) -> list[float]:
    taken = []
    for _ in range(count):
        started = time.perf_counter()
        await request()
        taken.append(time.perf_counter() - started)
    return taken


async def throughput(request: Request, in_flight: int, total: int) -> float:
    left = total

    async def lane() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await request()

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(in_flight)))
    return total / (time.perf_counter() - started)


async def connections_during(admin: Redis, name: str, run: Awaitable[float]) -> tuple[float, int]:
    """Run ``run``; meanwhile, the most connections named ``name`` seen in CLIENT LIST."""
    task = asyncio.ensure_future(run)
    most = 0
    while not task.done():
        clients = await admin.client_list()
        most = max(most, sum(1 for client in clients if client.get("name") == name))
        await asyncio.sleep(0.05)
    return await task, most


async def bench(url: str, requests: int, rounds: int) -> None:
    admin = Redis.from_url(url, decode_responses=True)
    await admin.flushdb()
    responder = await asyncio.create_subprocess_exec(sys.executable, __file__, "--respond", url)
    try:
        await run_all(url, admin, requests, rounds)
    finally:
        responder.terminate()
        await responder.wait()
        await admin.flushdb()
        await admin.aclose()


async def run_all(url: str, admin: Redis, requests: int, rounds: int) -> None:
    raw = RawRequester(url)
    await raw.start()
    bus = RedisBus(url, client_name="bench-bus")
    ai = AIRequester(bus, max_in_flight=1000)
    await ai.start()
    per_id_bus = RedisBus(url, client_name="bench-per-id")

    modes: dict[str, tuple[str, Request]] = {
        "raw": ("bench-raw", raw.request),
        "bus": ("bench-bus", lambda: ai.request("llm", PAYLOAD, timeout=TIMEOUT)),
        "bus, subscribe per id": ("bench-per-id", lambda: request_subscribing_per_id(per_id_bus)),
    }
    for _, request in modes.values():  # warm up connections and code paths
        await throughput(request, 100, 500)

    # Modes take turns within every round and level, so that whatever else the
    # machine is doing meanwhile weighs on all of them alike.
    taken: dict[str, list[float]] = {mode: [] for mode in modes}
    rates: dict[tuple[str, int], list[float]] = {}
    most_connections: dict[str, int] = dict.fromkeys(modes, 0)
    for _ in range(rounds):
        for mode, (_, request) in modes.items():
            taken[mode] += await latencies(request, min(requests, 2000) // rounds)
        for level in LEVELS:
            for mode, (name, request) in modes.items():
                run = throughput(request, level, requests)
                if level == 1000:
                    rate, most = await connections_during(admin, name, run)
                    most_connections[mode] = max(most_connections[mode], most)
                else:
                    rate = await run
                rates.setdefault((mode, level), []).append(rate)

    print(f"requests per measurement: {requests}; median of {rounds} rounds\n")
    levels = " | ".join(f"{n} in flight /s" for n in LEVELS)
    print(f"| requester | p50 ms | p99 ms | {levels} | connections at 1000 |")
    print("|---|---:|---:|" + "---:|" * len(LEVELS) + "---:|")
    results: dict[str, dict[str, float]] = {}
    for mode in modes:
        ordered = sorted(taken[mode])
        row = {
            "p50": ordered[len(ordered) // 2] * 1000,
            "p99": ordered[int(len(ordered) * 0.99)] * 1000,
            **{str(n): statistics.median(rates[(mode, n)]) for n in LEVELS},
        }
        results[mode] = row
        print(
            f"| {mode} | {row['p50']:.2f} | {row['p99']:.2f} | "
            + " | ".join(f"{row[str(n)]:,.0f}" for n in LEVELS)
            + f" | {most_connections[mode]} |"
        )
    base = results["raw"]
    print("\nratios against raw (same run):\n")
    print("| requester | p50 | " + " | ".join(f"{n} in flight" for n in LEVELS) + " |")
    print("|---|---:|" + "---:|" * len(LEVELS))
    for mode, row in results.items():
        print(
            f"| {mode} | {row['p50'] / base['p50']:.2f}x | "
            + " | ".join(f"{row[str(n)] / base[str(n)]:.2f}x" for n in LEVELS)
            + " |"
        )

    await ai.close()
    await bus.close()
    await per_id_bus.close()
    await raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--respond", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.respond:
        asyncio.run(respond_forever(args.respond))
    else:
        asyncio.run(bench(args.redis, args.requests, args.rounds))


if __name__ == "__main__":
    main()
