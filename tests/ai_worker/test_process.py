"""``run_worker`` as its own process on the real Redis: serves, then stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bus.ai import make_request_message
from bus.keys import ai_queue, ai_result
from tests.ai_worker.catalog import llm_payload

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import asyncio, sys
from ai_worker.config import WorkerConfig
from ai_worker.runner import run_worker
asyncio.run(run_worker(sys.argv[1], WorkerConfig(kinds=("llm",), worker_id="proc-1")))
"""


@pytest.mark.redis
async def test_a_worker_process_answers_and_stops_on_sigterm(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    message = make_request_message("llm", llm_payload("French dinner, grand"), timeout=60)
    pubsub = client.pubsub()
    await pubsub.subscribe(message["reply_to"])
    await client.lpush(ai_queue("llm"), json.dumps(message))
    worker = await asyncio.create_subprocess_exec(sys.executable, "-c", WORKER, redis_url, cwd=ROOT)
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
        worker.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(worker.wait(), 30)
        await pubsub.aclose()
        await client.aclose()
    assert code == 0
