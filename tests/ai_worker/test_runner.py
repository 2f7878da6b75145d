"""The consumption loop over each bus: answers, loses nothing, survives bad input."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from ai_worker.errors import EngineError
from ai_worker.runner import Worker
from bus.ai import AIRequester, AIResultError, make_request_message
from bus.base import Bus
from bus.keys import ai_processing, ai_queue, ai_result, ai_worker_alive
from config.worker import WorkerSettings
from tests.support.ai_catalog import llm_payload
from tests.support.cancellation import losing_first_cancellation, never_answers
from tests.support.fake_engine import FakeEngine, WorkerFactory

WAIT = 10.0
# json.loads raises RecursionError, not ValueError, on this.
TOO_DEEP = b"[" * 60000


def _message(
    bus: Bus, kind: str, payload: dict[str, Any], *, lifetime: float = 30
) -> dict[str, Any]:
    """A request as a caller on ``bus`` makes it (on a Redis Cluster, hash-tagged names)."""
    return make_request_message(kind, payload, timeout=lifetime, tagged=bus.sharded)


async def _send(bus: Bus, kind: str, payload: dict[str, Any], *, lifetime: float = 30) -> str:
    message = _message(bus, kind, payload, lifetime=lifetime)
    await bus.push(ai_queue(kind), json.dumps(message))
    request_id: str = message["request_id"]
    return request_id


async def _reply(bus: Bus, request_id: str) -> dict[str, Any]:
    """The stored reply of ``request_id``, waiting for its publication where a caller
    on this bus listens (on a Redis Cluster, its hash-tagged name)."""
    name = ai_result(request_id, tagged=bus.sharded)
    async with await bus.subscribe(name) as subscription:
        stored = await bus.get(name)
        if stored is None:
            message = await asyncio.wait_for(subscription.get(), WAIT)
            assert message is not None
            stored = message.data
    reply: dict[str, Any] = json.loads(stored)
    return reply


async def _until(condition: Any) -> None:
    # The bus has no event for "a list became empty"; poll it briefly.
    async def poll() -> None:
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), WAIT)


async def test_answers_an_llm_request_with_the_rules_engine(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    worker = await make_worker(ai_worker_kinds=("llm",))
    requester = AIRequester(bus)
    try:
        result = await asyncio.wait_for(
            requester.request("llm", llm_payload("two French dinners, grand style"), timeout=WAIT),
            WAIT,
        )
    finally:
        await requester.close()
    assert result["order_state"]["menu_code"] == "french"
    assert result["state"] == "confirmation"
    assert await bus.items(worker.processing["llm"]) == []


async def test_answers_each_kind_from_its_own_queue(bus: Bus, make_worker: WorkerFactory) -> None:
    engines = {kind: FakeEngine() for kind in ("stt", "llm", "image")}
    await make_worker(engines)
    ids = {kind: await _send(bus, kind, {"kind": kind}) for kind in engines}
    for kind, request_id in ids.items():
        reply = await _reply(bus, request_id)
        assert reply == {
            "request_id": request_id,
            "status": "ok",
            "result": {"echo": {"kind": kind}},
        }


async def test_malformed_request_with_an_id_gets_an_error_and_the_worker_goes_on(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    engine = FakeEngine()
    worker = await make_worker({"llm": engine})
    await bus.push(ai_queue("llm"), b"\xff not json")
    await bus.push(ai_queue("llm"), json.dumps({"request_id": "bad-1", "type": "llm"}))
    await bus.push(ai_queue("llm"), json.dumps([1, 2]))
    good = await _send(bus, "llm", {"n": 1})
    bad = await _reply(bus, "bad-1")
    assert bad["status"] == "error"
    assert bad["error"]["code"] == "bad_request"
    assert (await _reply(bus, good))["status"] == "ok"
    await _until(lambda: _is_empty(bus, worker.processing["llm"]))
    assert engine.payloads == [{"n": 1}]


async def test_deeply_nested_requests_are_dropped_and_the_worker_goes_on(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    engine = FakeEngine()
    worker = await make_worker({"llm": engine})
    deep_payload = json.dumps(make_request_message("llm", {}, timeout=30)).replace(
        '"payload": {}', '"payload": ' + "[" * 60000 + "]" * 60000
    )
    await bus.push(ai_queue("llm"), TOO_DEEP)
    await bus.push(ai_queue("llm"), deep_payload)
    good = await _send(bus, "llm", {"n": 1})
    assert (await _reply(bus, good))["status"] == "ok"
    await _until(lambda: _is_empty(bus, worker.processing["llm"]))
    await asyncio.wait_for(worker.stop(grace=0), WAIT)
    assert engine.closed
    assert engine.payloads == [{"n": 1}]

    # Left by a dead worker, such a request must not stop the next one starting.
    await bus.push(ai_processing("dead-1", "llm"), TOO_DEEP)
    await make_worker({"llm": FakeEngine()}, ai_worker_id="fresh")
    assert await bus.items(ai_processing("dead-1", "llm")) == []
    assert (await _reply(bus, await _send(bus, "llm", {})))["status"] == "ok"


class _UnserializableEngine(FakeEngine):
    """Returns a result that can't be sent: the failure comes after the engine ran."""

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        await super().run(payload)
        return {"not json": object()}


async def test_an_unexpected_failure_answers_an_error_and_releases_the_request(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    worker = await make_worker({"llm": _UnserializableEngine()})
    reply = await _reply(bus, await _send(bus, "llm", {}))
    assert reply["error"]["code"] == "engine_error"
    await _until(lambda: _is_empty(bus, worker.processing["llm"]))
    await asyncio.wait_for(worker.stop(grace=0), WAIT)


async def test_an_idle_queue_does_not_delay_another_kind(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    engines = {kind: FakeEngine() for kind in ("llm", "stt", "image")}
    # Fewer slots than kinds, and pops that wait on empty queues far longer than a reply
    # may take here.
    await make_worker(
        engines, ai_worker_concurrency=1, ai_worker_poll_timeout=30.0, ai_worker_heartbeat_ttl=90.0
    )
    for kind in ("image", "stt", "llm"):
        reply = await asyncio.wait_for(_reply(bus, await _send(bus, kind, {})), WAIT)
        assert reply["status"] == "ok"


async def test_a_request_in_the_wrong_queue_is_refused(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    await make_worker({"llm": FakeEngine()})
    message = _message(bus, "stt", {})
    await bus.push(ai_queue("llm"), json.dumps(message))
    reply = await _reply(bus, message["request_id"])
    assert reply["error"]["code"] == "bad_request"


async def test_a_bad_request_is_answered_where_a_sharded_caller_listens(
    bus: Bus, make_worker: WorkerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a Redis Cluster a caller listens on its hash-tagged reply_to, ai:result:{<id>}.
    monkeypatch.setattr(bus, "sharded", True)
    await make_worker({"llm": FakeEngine()})
    await bus.push(ai_queue("llm"), json.dumps({"request_id": "bad-2", "type": "llm"}))
    misplaced = make_request_message("stt", {}, timeout=30, tagged=True)
    await bus.push(ai_queue("llm"), json.dumps(misplaced))

    for request_id in ("bad-2", misplaced["request_id"]):
        reply = await _reply(bus, request_id)
        assert reply["error"]["code"] == "bad_request"


async def test_a_failing_engine_answers_an_error(bus: Bus, make_worker: WorkerFactory) -> None:
    await make_worker({"llm": FakeEngine(error=RuntimeError("boom"))})
    reply = await _reply(bus, await _send(bus, "llm", {}))
    assert reply["status"] == "error"
    assert reply["error"]["code"] == "engine_error"
    assert "boom" not in reply["error"]["message"]
    # the worker is still alive
    assert (await _reply(bus, await _send(bus, "llm", {})))["status"] == "error"


async def test_an_engine_error_keeps_its_code(bus: Bus, make_worker: WorkerFactory) -> None:
    await make_worker({"stt": FakeEngine(error=EngineError("bad_audio", "not audio"))})
    reply = await _reply(bus, await _send(bus, "stt", {}))
    assert reply["error"] == {"code": "bad_audio", "message": "not audio"}


async def test_a_request_past_its_deadline_is_dropped(bus: Bus, make_worker: WorkerFactory) -> None:
    engine = FakeEngine()
    worker = await make_worker({"llm": engine})
    stale = make_request_message("llm", {"stale": True}, timeout=5, clock=lambda: time.time() - 60)
    await bus.push(ai_queue("llm"), json.dumps(stale))
    fresh = await _send(bus, "llm", {"fresh": True})
    assert (await _reply(bus, fresh))["status"] == "ok"
    await _until(lambda: _is_empty(bus, worker.processing["llm"]))
    assert await bus.get(ai_result(stale["request_id"])) is None
    assert engine.payloads == [{"fresh": True}]


async def test_a_request_whose_deadline_passes_while_running_is_dropped(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    engine = FakeEngine(gate=asyncio.Event())  # never opens
    worker = await make_worker({"llm": engine})
    request_id = await _send(bus, "llm", {}, lifetime=0.3)
    await asyncio.wait_for(engine.started.wait(), WAIT)
    await _until(lambda: _is_empty(bus, worker.processing["llm"]))
    assert await bus.get(ai_result(request_id)) is None


async def test_concurrency_is_bounded(bus: Bus, make_worker: WorkerFactory) -> None:
    gate = asyncio.Event()
    engine = FakeEngine(gate=gate)
    worker = await make_worker({"llm": engine}, ai_worker_concurrency=2)
    ids = [await _send(bus, "llm", {"n": n}) for n in range(5)]
    await _until(lambda: _equals(worker.in_hand, 2))
    assert len(await bus.items(ai_queue("llm"))) == 3
    assert len(await bus.items(worker.processing["llm"])) == 2
    gate.set()
    for request_id in ids:
        assert (await _reply(bus, request_id))["status"] == "ok"


async def test_stop_requeues_what_it_could_not_finish(bus: Bus, make_worker: WorkerFactory) -> None:
    engine = FakeEngine(gate=asyncio.Event())
    worker = await make_worker({"llm": engine})
    request_id = await _send(bus, "llm", {"slow": True})
    await asyncio.wait_for(engine.started.wait(), WAIT)
    await asyncio.wait_for(worker.stop(grace=0.05), WAIT)
    assert await bus.items(worker.processing["llm"]) == []
    queued = await bus.items(ai_queue("llm"))
    assert [json.loads(raw)["request_id"] for raw in queued] == [request_id]
    assert await bus.get(ai_worker_alive(worker._config.ai_worker_id)) is None
    assert engine.closed


async def test_stop_finishes_work_in_hand_within_the_grace(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    gate = asyncio.Event()
    engine = FakeEngine(gate=gate)
    worker = await make_worker({"llm": engine})
    request_id = await _send(bus, "llm", {})
    await asyncio.wait_for(engine.started.wait(), WAIT)
    stopping = asyncio.create_task(worker.stop(grace=WAIT))
    gate.set()
    await asyncio.wait_for(stopping, WAIT)
    assert (await _reply(bus, request_id))["status"] == "ok"
    assert await bus.items(ai_queue("llm")) == []


async def test_start_requeues_the_list_of_a_crashed_worker(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    crashed = _message(bus, "llm", {"orphan": True})
    await bus.push(ai_processing("crashed-1", "llm"), json.dumps(crashed))
    await bus.push(ai_processing("crashed-1", "llm"), b"garbage")
    await bus.push(ai_processing("crashed-1", "llm"), TOO_DEEP)
    live = _message(bus, "llm", {"live": True})
    await bus.push(ai_processing("alive-1", "llm"), json.dumps(live))
    await bus.set(ai_worker_alive("alive-1"), "alive-1", ttl=60)

    engine = FakeEngine()
    # The first heartbeat sweep is 20 s away: only start() can requeue in time.
    await make_worker({"llm": engine}, ai_worker_heartbeat_ttl=60.0)
    assert await bus.items(ai_processing("crashed-1", "llm")) == []
    assert (await _reply(bus, crashed["request_id"]))["status"] == "ok"
    assert len(await bus.items(ai_processing("alive-1", "llm"))) == 1
    assert engine.payloads == [{"orphan": True}]


async def test_a_worker_that_dies_mid_request_loses_nothing(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    stuck = FakeEngine(gate=asyncio.Event())
    first = await make_worker({"llm": stuck}, ai_worker_id="first")
    request_id = await _send(bus, "llm", {"n": 1})
    await asyncio.wait_for(stuck.started.wait(), WAIT)
    _crash(first)
    await bus.delete(ai_worker_alive("first"))  # its heartbeat expires
    assert len(await bus.items(first.processing["llm"])) == 1

    await make_worker({"llm": FakeEngine()}, ai_worker_id="second")
    assert (await _reply(bus, request_id))["status"] == "ok"


async def test_the_heartbeat_sweep_requeues_orphans_while_serving(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    worker = await make_worker(
        {"llm": FakeEngine()}, ai_worker_poll_timeout=0.05, ai_worker_heartbeat_ttl=3.0
    )
    orphan = _message(bus, "llm", {})
    await bus.push(ai_processing("gone", "llm"), json.dumps(orphan))
    assert (await _reply(bus, orphan["request_id"]))["status"] == "ok"
    assert await bus.get(ai_worker_alive(worker._config.ai_worker_id)) is not None


async def test_stop_ends_a_pop_that_lost_its_cancellation(
    bus: Bus, make_worker: WorkerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Redis took the BRPOPLPUSH and never answers; the first cancellation is lost.
    monkeypatch.setattr(bus, "pop_into", losing_first_cancellation(never_answers))
    before = asyncio.all_tasks()
    worker = await make_worker({"llm": FakeEngine()})
    await asyncio.sleep(0.01)
    started = asyncio.all_tasks() - before

    await asyncio.wait_for(worker.stop(), WAIT / 2)

    assert started
    assert all(task.done() for task in started)


def _crash(worker: Worker) -> None:
    """Kill a worker's tasks the way a dead process would: no cleanup at all."""
    for task in [*worker._loops, *worker._in_hand]:
        task.cancel()
    worker._loops = []


async def _is_empty(bus: Bus, key: str) -> bool:
    return await bus.items(key) == []


async def _equals(value: int, expected: int) -> bool:
    return value == expected


def test_config_refuses_unknown_engines() -> None:
    with pytest.raises(ValueError, match="'rules' or 'openai'"):
        WorkerSettings(llm_engine="gpt")
    with pytest.raises(ValueError, match="LLM_BASE_URL: required with LLM_ENGINE=openai"):
        WorkerSettings(llm_engine="openai")
    with pytest.raises(ValueError, match="ai_worker_concurrency"):
        WorkerSettings(ai_worker_concurrency=0)


async def test_an_error_reply_reaches_the_requester(bus: Bus, make_worker: WorkerFactory) -> None:
    await make_worker({"llm": FakeEngine(error=EngineError("bad_payload", "nope"))})
    requester = AIRequester(bus)
    try:
        with pytest.raises(AIResultError) as caught:
            await asyncio.wait_for(requester.request("llm", {}, timeout=WAIT), WAIT)
    finally:
        await requester.close()
    assert caught.value.code == "bad_payload"
