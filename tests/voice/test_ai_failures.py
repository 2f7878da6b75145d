"""What a client sees when the AI Server or the bus fails, and that nothing changes then."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bus.base import BusUnavailable, Data
from bus.keys import ai_queue
from bus.memory import MemoryBus
from quart_app.testing import Answer, Reply, ScriptedAIServer, error, never, raw
from tests.support.bus_backends import Backend
from tests.support.voice_api import StartApp, llm_answer, say


async def test_no_answer_in_time_is_504(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, ai_timeout=0.2)
    ai_server.llm.queue(never())

    status, body = await say(client, "hello")

    assert (status, body["error"]["code"]) == (504, "ai_timeout")


async def test_an_error_result_is_502_with_the_ai_code(
    backend: Backend,
    ai_server: ScriptedAIServer,
    start_app: StartApp,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await start_app(backend.bus)
    ai_server.llm.queue(error("model_down", "the model is loading"))

    status, body = await say(client, "hello")

    assert (status, body["error"]["code"]) == (502, "ai_error")
    assert body["error"]["details"] == {"code": "model_down"}
    # The AI Server's own words go to the log, never to the client.
    assert "the model is loading" not in body["error"]["message"]
    assert "the model is loading" in caplog.text


def envelope(result_json: str) -> Answer:
    """An ``ok`` reply whose ``result`` is ``result_json``, as it is (it may be invalid JSON)."""

    def answer(request: dict[str, Any]) -> Reply:
        request_id = request["request_id"]
        return raw(
            f'{{"request_id": "{request_id}", "status": "ok", "result": {result_json}}}'.encode()
        )

    return answer


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(raw(b"\xff not json"), id="not-json"),
        pytest.param(raw(b"[]"), id="not-an-object"),
        pytest.param(envelope('{"response": "hi", "confidence": NaN}'), id="nan"),
        pytest.param(envelope('{"response": "hi", "confidence": Infinity}'), id="infinity"),
        pytest.param(envelope('"just text"'), id="no-result-object"),
    ],
)
async def test_a_reply_that_is_no_valid_result_is_502_bad_ai_result(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp, answer: Answer
) -> None:
    client = await start_app(backend.bus)
    ai_server.llm.queue(answer)

    status, body = await say(client, "hello")

    # The same code as a result of the wrong shape (below): both are malformed answers.
    assert (status, body["error"]["code"]) == (502, "bad_ai_result")
    assert body["error"]["details"]


@pytest.mark.parametrize(
    "result",
    [
        pytest.param({"intent": "order"}, id="no-response"),
        pytest.param(llm_answer(confidence=1.5), id="confidence"),
        pytest.param(llm_answer(confidence=True), id="confidence-bool"),
        pytest.param(llm_answer(confidence="0.9"), id="confidence-text"),
        pytest.param(llm_answer(state="dessert"), id="state"),
        pytest.param(llm_answer(state_decision="maybe"), id="decision"),
        pytest.param(llm_answer(quantity="2"), id="quantity-text"),
        pytest.param(llm_answer(menu_selection="first"), id="selection-text"),
        pytest.param(llm_answer(alternatives=[{"code": "f", "name": "x"}] * 11), id="list"),
        pytest.param(llm_answer("x" * 5000), id="long-response"),
        pytest.param(llm_answer(additional_questions="no list"), id="questions"),
        pytest.param(llm_answer(analysis={"notes": "x" * 9000}), id="analysis"),
    ],
)
async def test_a_malformed_llm_result_is_502_and_changes_nothing(
    memory_backend: Backend, start_app: StartApp, result: dict[str, object]
) -> None:
    ai_server = ScriptedAIServer(memory_backend.bus)
    await ai_server.start()
    try:
        client = await start_app(memory_backend.bus)
        ai_server.llm.queue(llm_answer("French?", order_state={"menu_code": "french"}))
        _, started = await say(client, "french")
        ai_server.llm.queue(result, llm_answer("Still here."))

        status, body = await say(client, "grand", started["session_id"])
        after_status, after = await say(client, "again", started["session_id"])
    finally:
        await ai_server.stop()

    assert (status, body["error"]["code"]) == (502, "bad_ai_result")
    assert body["error"]["details"]  # which fields were wrong
    assert after_status == 200
    messages = ai_server.llm.payloads[-1]["context"]["messages"]
    assert [m["content"] for m in messages] == ["french", "French?"]
    assert after["order_state"]["menu_code"] == "french"


class _DownBus(MemoryBus):
    async def push(self, queue: str, data: Data, *, max_length: int | None = None) -> int:
        raise BusUnavailable("connection refused")


async def test_a_bus_that_is_down_is_503(start_app: StartApp) -> None:
    bus = _DownBus()
    try:
        client = await start_app(bus)
        status, body = await say(client, "hello")
    finally:
        await bus.close()

    assert (status, body["error"]["code"]) == (503, "bus_unavailable")


async def test_too_many_requests_in_flight_is_503_with_retry_after(
    backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, ai_max_in_flight=1, ai_timeout=1.0)
    ai_server.llm.queue(never())
    waiting = asyncio.create_task(say(client, "first"))
    await asyncio.wait_for(ai_server.llm.wait_for_requests(1), 5)

    response = await client.post("/api/voice/analyze", json={"transcript": "second"})
    body = await response.get_json()
    first_status, _ = await asyncio.wait_for(waiting, 5)

    assert (response.status_code, body["error"]["code"]) == (503, "overloaded")
    assert response.headers["Retry-After"] == "1"
    assert first_status == 504


async def test_a_full_ai_queue_is_503_overloaded(backend: Backend, start_app: StartApp) -> None:
    # No AI Server reads the queue: the first request times out and stays queued.
    client = await start_app(backend.bus, ai_queue_max_length=1, ai_timeout=0.2)
    first_status, _ = await say(client, "first")

    response = await client.post("/api/voice/analyze", json={"transcript": "second"})
    body = await response.get_json()

    assert first_status == 504
    assert (response.status_code, body["error"]["code"]) == (503, "overloaded")
    assert response.headers["Retry-After"]
    assert len(await backend.bus.items(ai_queue("llm"))) == 1
