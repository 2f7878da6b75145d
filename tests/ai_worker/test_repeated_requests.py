"""One answer per ``request_id``: a request that comes again (sent again after a failover,
or requeued) gets the answer it got the first time (docs/contract.md §1.3)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bus.ai import make_request_message
from bus.base import Bus
from bus.keys import ai_queue
from tests.support.fake_engine import FakeEngine, WorkerFactory

WAIT = 10.0


class _NewAnswerEachRun(FakeEngine):
    """Answers each run differently, as a sampling LLM may."""

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        run = len(self.payloads)
        if self.gate is not None:
            await self.gate.wait()
        return {"run": run}


async def test_a_request_sent_again_gets_its_first_answer_and_runs_once(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    engine = _NewAnswerEachRun()
    worker = await make_worker({"llm": engine})
    message = json.dumps(make_request_message("llm", {"n": 1}, timeout=30))
    reply_to = json.loads(message)["reply_to"]

    async with await bus.subscribe(reply_to) as replies:
        await bus.push(ai_queue("llm"), message)
        first = await replies.get(timeout=WAIT)
        await bus.push(ai_queue("llm"), message)
        again = await replies.get(timeout=WAIT)

    assert first is not None and again is not None
    assert json.loads(again.data) == json.loads(first.data)
    assert json.loads(first.data)["result"] == {"run": 1}
    assert engine.payloads == [{"n": 1}]
    assert await bus.items(worker.processing["llm"]) == []


async def test_two_copies_in_hand_at_once_get_one_answer(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    gate = asyncio.Event()
    engine = _NewAnswerEachRun(gate=gate)
    worker = await make_worker({"llm": engine}, ai_worker_concurrency=2)
    message = json.dumps(make_request_message("llm", {"n": 2}, timeout=30))
    reply_to = json.loads(message)["reply_to"]

    async with await bus.subscribe(reply_to) as replies:
        await bus.push(ai_queue("llm"), message)
        await bus.push(ai_queue("llm"), message)
        await asyncio.wait_for(_until(lambda: len(engine.payloads) == 2), WAIT)
        gate.set()
        published = [await replies.get(timeout=WAIT) for _ in range(2)]

    stored = await bus.get(reply_to)
    assert stored is not None
    assert [message.data if message else None for message in published] == [stored, stored]
    assert await bus.items(worker.processing["llm"]) == []


async def _until(holds: Any) -> None:
    while not holds():  # noqa: ASYNC110 - the engine has no event for its second run
        await asyncio.sleep(0.01)
