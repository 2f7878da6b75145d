"""``run_worker`` as its own process on the real Redis (and on a Redis Cluster):
serves, side by side with others, then stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bus import make_bus
from bus.ai import AIRequester, make_request_message
from bus.keys import AI_KINDS, ai_processing, ai_queue, ai_result, ai_worker_alive
from bus.redis import RedisBus
from tests.support.ai_catalog import llm_payload
from tests.support.redis_cluster import RedisClusterProcesses

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import asyncio, sys
from config.worker import WorkerSettings
from ai_worker.runner import run_worker
settings = WorkerSettings(ai_worker_kinds=("llm",), ai_worker_id=sys.argv[2])
asyncio.run(run_worker(sys.argv[1], settings))
"""


async def _start_worker(redis_url: str, worker_id: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, redis_url, worker_id, cwd=ROOT
    )


async def _stop_worker(worker: asyncio.subprocess.Process) -> int:
    worker.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(worker.wait(), 30)


# Published once the workers exited: Redis delivers it after all their results.
# Unique per run: another suite running this test on the same server publishes its own.
LAST = f"last-{uuid.uuid4().hex}"


@pytest.mark.redis
async def test_a_worker_process_answers_and_stops_on_sigterm(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    message = make_request_message("llm", llm_payload("French dinner, grand"), timeout=60)
    pubsub = client.pubsub()
    await pubsub.subscribe(message["reply_to"])
    await client.lpush(ai_queue("llm"), json.dumps(message))
    worker = await _start_worker(redis_url, "proc-1")
    try:
        reply = None
        while reply is None:
            event = await asyncio.wait_for(
                pubsub.get_message(ignore_subscribe_messages=True, timeout=1), 30
            )
            reply = json.loads(event["data"]) if event else None
        assert reply["status"] == "ok"
        assert reply["result"]["order_state"]["menu_code"] == "french"
        assert await client.get(ai_result(message["request_id"])) is not None
        assert await client.exists("ai:alive:proc-1")
    finally:
        code = await _stop_worker(worker)
        await pubsub.aclose()
        await client.aclose()
    assert code == 0


@pytest.mark.redis_cluster
async def test_a_worker_process_on_a_redis_cluster_answers_and_stops_on_sigterm(
    redis_cluster: RedisClusterProcesses,
) -> None:
    await redis_cluster.flush()
    bus = make_bus(redis_cluster.url)
    await bus.connect()
    requester = AIRequester(bus)  # a hash-tagged reply_to, heard by SSUBSCRIBE
    worker = await _start_worker(redis_cluster.url, "proc-c")
    try:
        result = await requester.request("llm", llm_payload("French dinner, grand"), timeout=60)
        assert result["order_state"]["menu_code"] == "french"
    finally:
        code = await _stop_worker(worker)
        await requester.close()
        await bus.close()
    assert code == 0


async def _count_results(pubsub: aioredis.client.PubSub, counts: Counter[str]) -> None:
    """Count results per request id until the one of :data:`LAST`."""
    async for event in pubsub.listen():
        if event["type"] == "pmessage":
            try:
                request_id = json.loads(event["data"])["request_id"]
            except (ValueError, KeyError, TypeError):
                continue  # another suite's result, malformed on purpose
            if request_id == LAST:
                return
            counts[request_id] += 1


@pytest.mark.redis
@pytest.mark.slow
async def test_two_worker_processes_answer_each_request_exactly_once(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    pubsub = client.pubsub()
    await pubsub.psubscribe(ai_result("*"))
    counts: Counter[str] = Counter()
    counting = asyncio.create_task(_count_results(pubsub, counts))
    worker_ids = ("side-a", "side-b")
    workers = [await _start_worker(redis_url, worker_id) for worker_id in worker_ids]
    bus = RedisBus(redis_url)
    await bus.connect()
    requester = AIRequester(bus)
    try:
        for worker_id in worker_ids:
            while not await client.exists(ai_worker_alive(worker_id)):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        requests = [
            requester.request("llm", llm_payload(f"{n} French dinners, grand"), timeout=60)
            for n in range(1, 51)
        ]
        results = await asyncio.wait_for(asyncio.gather(*requests), 60)
        assert all(result["order_state"]["menu_code"] == "french" for result in results)
    finally:
        codes = [await _stop_worker(worker) for worker in workers]
        await requester.close()
        await bus.close()
    await client.publish(ai_result(LAST), json.dumps({"request_id": LAST}))
    await asyncio.wait_for(counting, 30)
    await pubsub.aclose()
    try:
        assert codes == [0, 0]
        # Pub/sub is server-wide: count only this test's results, those stored in its db.
        ours = {
            key.decode().removeprefix(ai_result("")) for key in await client.keys(ai_result("*"))
        }
        published = [counts[request_id] for request_id in ours]
        assert len(published) == 50
        assert set(published) == {1}
        assert await client.llen(ai_queue("llm")) == 0
        for worker_id in worker_ids:
            processing = [ai_processing(worker_id, kind) for kind in AI_KINDS]
            assert not await client.exists(*processing, ai_worker_alive(worker_id))
    finally:
        await client.aclose()
