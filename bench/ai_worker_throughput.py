"""Requests per second one ``voice-realtime worker`` process serves, per engine.

    python bench/ai_worker_throughput.py [--redis redis://127.0.0.1:6379/5] [--requests 200]

It starts one worker process on the given Redis database (which it FLUSHDBs),
pushes a batch of requests of one kind at once, and times from the first push
to the last result. Whisper gets a 3-second espeak-ng clip.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import sys
import time
import wave
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bus.ai import make_request_message  # noqa: E402
from bus.keys import ai_queue  # noqa: E402
from tests.support.ai_catalog import llm_payload  # noqa: E402

WORKER = """
import asyncio, sys
from config.worker import WorkerSettings
from ai_worker.runner import run_worker
asyncio.run(run_worker(sys.argv[1], WorkerSettings(ai_worker_concurrency=int(sys.argv[2]))))
"""


def three_second_clip() -> bytes:
    with wave.open(str(ROOT / "tests/ai_worker/fixtures/order_en.wav")) as clip:
        frames = clip.readframes(clip.getnframes())
    padding = b"\0\0" * (3 * 16_000 - len(frames) // 2)
    out = io.BytesIO()
    with wave.open(out, "wb") as padded:
        padded.setnchannels(1)
        padded.setsampwidth(2)
        padded.setframerate(16_000)
        padded.writeframes(frames + padding)
    return out.getvalue()


CAKE = "a two-tier pink cake with strawberries saying 'Happy Birthday'"


def payloads() -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "llm (rules)": ("llm", llm_payload("two French dinners, grand style, more wine")),
        "image (sketch)": ("image", {"prompt": CAKE, "aspect_ratio": "1:1"}),
        "stt (whisper tiny.en, 3 s clip)": ("stt", {
            "audio_b64": base64.b64encode(three_second_clip()).decode(),
            "filename": "clip.wav", "mime_type": "audio/wav", "language": "en",
        }),
    }  # fmt: skip


async def run_batch(
    client: aioredis.Redis, kind: str, payload: dict[str, Any], count: int
) -> float:
    messages = [make_request_message(kind, payload, timeout=600) for _ in range(count)]
    pubsub = client.pubsub()
    await pubsub.subscribe(*(message["reply_to"] for message in messages))
    started = time.perf_counter()
    for message in messages:
        await client.lpush(ai_queue(kind), json.dumps(message))
    seen = 0
    give_up = started + 600
    while seen < count:
        event = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if time.perf_counter() > give_up:
            raise RuntimeError(f"{kind}: only {seen} of {count} results")
        if event is None:  # a subscription's confirmation, or a quiet second
            continue
        reply = json.loads(event["data"])
        if reply["status"] != "ok":
            raise RuntimeError(f"{kind}: {reply}")
        seen += 1
    elapsed = time.perf_counter() - started
    await pubsub.aclose()
    return count / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--stt-requests", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    client = aioredis.Redis.from_url(args.redis)
    await client.flushdb()
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, args.redis, str(args.concurrency), cwd=ROOT
    )
    try:
        print(f"one worker process, concurrency {args.concurrency}")
        for name, (kind, payload) in payloads().items():
            count = args.stt_requests if kind == "stt" else args.requests
            await run_batch(client, kind, payload, 2)  # warm up: load the model
            rate = await run_batch(client, kind, payload, count)
            print(f"{name:34} {rate:8.1f} requests/s  ({count} requests)")
    finally:
        worker.terminate()
        await worker.wait()
        await client.flushdb()
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
