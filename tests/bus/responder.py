"""A stand-in AI Server for the tests: pops requests and answers them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from bus.ai import publish_result
from bus.base import Bus, BusUnavailable
from bus.keys import ai_queue, ai_result

Reply = Callable[[dict[str, Any]], dict[str, Any] | bytes]


def echo(request: dict[str, Any]) -> dict[str, Any]:
    """An ``ok`` reply carrying the request's payload back."""
    return {"request_id": request["request_id"], "status": "ok", "result": request["payload"]}


@asynccontextmanager
async def responder(
    bus: Bus, reply: Reply = echo, *, kind: str = "llm"
) -> AsyncIterator[list[dict[str, Any]]]:
    """Answer every ``kind`` request while the block runs; yields the requests seen.

    A reply given as ``bytes`` is stored and published as is (a malformed result).
    """
    seen: list[dict[str, Any]] = []
    # Stopped by a flag, not by cancelling: Python 3.11's wait_for can swallow a
    # cancellation that lands as fakeredis answers, leaving the task blocked.
    stopping = asyncio.Event()

    async def serve() -> None:
        while not stopping.is_set():
            try:
                raw = await bus.pop(ai_queue(kind), timeout=0.05)
            except BusUnavailable:  # Redis stopped by a fault test: keep trying
                await asyncio.sleep(0.05)
                continue
            if raw is None:
                continue
            request = json.loads(raw)
            seen.append(request)
            body = reply(request)
            if isinstance(body, bytes):
                await bus.set(ai_result(request["request_id"]), body, ttl=300)
                await bus.publish(ai_result(request["request_id"]), body)
            else:
                await publish_result(bus, request["request_id"], body)

    task = asyncio.create_task(serve())
    try:
        yield seen
    finally:
        stopping.set()
        await asyncio.wait_for(task, 5)
