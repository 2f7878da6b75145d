"""The scripted AI Server of quart_app.testing, asked through the app's own AI requester."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bus.ai import AIRequester, AIResultError, MalformedAIResult
from bus.ai_messages import SttStreamPayload
from bus.ai_stream import open_speech_stream
from bus.base import BusTimeout
from bus.keys import AI_WORKERS_PATTERN, ai_queue, ai_result
from bus.memory import MemoryBus
from quart_app.testing import ScriptedAIServer, error, gated, never, raw, speaks
from tests.support.bus_backends import FakeClock
from tests.support.hands_free import SILENT, VOICED

Request = dict[str, Any]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def bus(clock: FakeClock) -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(clock=clock)
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
async def ai_server(bus: MemoryBus) -> AsyncIterator[ScriptedAIServer]:
    async with ScriptedAIServer(bus) as server:
        yield server


@pytest.fixture
async def requester(bus: MemoryBus) -> AsyncIterator[AIRequester]:
    requester = AIRequester(bus)
    yield requester
    await requester.close()


async def ask(requester: AIRequester, kind: str, within: float = 5.0, **payload: Any) -> Any:
    return await requester.request(kind, payload, timeout=within)


async def test_a_fixed_answer_answers_every_request_and_each_request_is_kept(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    ai_server.stt.always({"text": "two french dinners", "language": "en"})

    first = await ask(requester, "stt", audio_b64="AAAA")
    second = await ask(requester, "stt", audio_b64="BBBB")

    assert first == second == {"text": "two french dinners", "language": "en"}
    assert ai_server.stt.payloads == [{"audio_b64": "AAAA"}, {"audio_b64": "BBBB"}]
    (request, _) = ai_server.stt.requests
    assert request["type"] == "stt"
    assert request["reply_to"] == ai_result(request["request_id"])
    assert ai_server.llm.requests == ai_server.image.requests == []


async def test_queued_answers_go_in_order_then_the_fixed_one(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    ai_server.llm.queue({"response": "one"}, {"response": "two"})
    ai_server.llm.always({"response": "again"})

    answers = [(await ask(requester, "llm", n=n))["response"] for n in range(4)]

    assert answers == ["one", "two", "again", "again"]
    assert [payload["n"] for payload in ai_server.llm.payloads] == [0, 1, 2, 3]


async def test_a_callable_computes_the_answer_from_the_request(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    async def later(request: Request) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"image_b64": request["payload"]["prompt"].upper()}

    ai_server.image.queue(lambda request: {"image_b64": request["payload"]["prompt"]}, later)

    assert await ask(requester, "image", prompt="a cake") == {"image_b64": "a cake"}
    assert await ask(requester, "image", prompt="a cake") == {"image_b64": "A CAKE"}


async def test_an_error_answer_reaches_the_app_with_its_code(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    ai_server.llm.queue(error("model_down", "loading"))

    with pytest.raises(AIResultError) as raised:
        await ask(requester, "llm")

    assert (raised.value.code, raised.value.message) == ("model_down", "loading")


async def test_a_raw_answer_is_published_as_it_is(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    ai_server.llm.queue(raw(b"\xff not json"))

    with pytest.raises(MalformedAIResult):
        await ask(requester, "llm")


async def test_never_takes_the_request_and_leaves_the_app_to_time_out(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    ai_server.llm.always(never())

    with pytest.raises(BusTimeout):
        await ask(requester, "llm", within=0.5)

    assert len(ai_server.llm.requests) == 1


async def test_an_engine_with_no_script_answers_unscripted(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    with pytest.raises(AIResultError) as raised:
        await ask(requester, "image", prompt="a cake")

    assert raised.value.code == "unscripted"
    assert "image" in raised.value.message


async def test_a_gated_answer_holds_up_only_its_own_request(
    ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    gate = asyncio.Event()
    ai_server.llm.queue(gated(gate, {"response": "late"}), {"response": "early"})

    late = asyncio.create_task(ask(requester, "llm"))
    await ai_server.llm.wait_for_requests(1)
    assert await ask(requester, "llm") == {"response": "early"}
    assert not late.done()
    gate.set()

    assert await late == {"response": "late"}


async def test_a_request_stays_on_a_processing_list_until_it_is_answered(
    ai_server: ScriptedAIServer, requester: AIRequester, bus: MemoryBus
) -> None:
    gate = asyncio.Event()
    ai_server.llm.queue(gated(gate, {"response": "done"}))

    asking = asyncio.create_task(ask(requester, "llm"))
    (request,) = await ai_server.llm.wait_for_requests(1)
    (processing,) = await bus.scan(AI_WORKERS_PATTERN)
    assert [json.loads(item)["request_id"] for item in await bus.items(processing)] == [
        request["request_id"]
    ]
    gate.set()
    await asking

    assert await bus.items(processing) == []


async def test_an_answer_is_stored_for_300_s(
    ai_server: ScriptedAIServer, requester: AIRequester, bus: MemoryBus, clock: FakeClock
) -> None:
    ai_server.llm.always({"response": "kept"})

    await ask(requester, "llm")

    key = ai_result(ai_server.llm.requests[0]["request_id"])
    assert await bus.get(key) is not None
    clock.advance(299)
    assert await bus.get(key) is not None
    clock.advance(2)
    assert await bus.get(key) is None


async def test_waiting_for_requests_that_never_come_fails(ai_server: ScriptedAIServer) -> None:
    with pytest.raises(TimeoutError):
        await ai_server.stt.wait_for_requests(1, within=0.2)


async def test_a_server_for_some_kinds_leaves_the_other_queues_alone(
    bus: MemoryBus, requester: AIRequester
) -> None:
    async with ScriptedAIServer(bus, kinds=["llm"]) as llm_only:
        llm_only.llm.always({"response": "yes"})
        assert await ask(requester, "llm") == {"response": "yes"}
        with pytest.raises(BusTimeout):
            await ask(requester, "stt", within=0.5)

    assert len(await bus.items(ai_queue("stt"))) == 1


def test_engines_are_found_by_kind(bus: MemoryBus) -> None:
    server = ScriptedAIServer(bus)
    assert server.engine("llm") is server.llm
    with pytest.raises(ValueError, match="unknown AI request kind"):
        server.engine("tts")
    with pytest.raises(ValueError, match="unknown AI request kind"):
        ScriptedAIServer(bus, kinds=["tts"])


async def test_a_prompt_entry_amid_speech_is_no_audio_to_a_speaking_script(
    bus: MemoryBus, clock: FakeClock, ai_server: ScriptedAIServer, requester: AIRequester
) -> None:
    # The service appends a prompt after each reply, while the customer may already
    # be speaking again: it neither ends the utterance nor starts one.
    speech = speaks("two french dinners")
    ai_server.stt_stream.queue(speech)
    payload = SttStreamPayload(
        audio_key="-", language="en", prompt=None, endpoint_ms=500, max_utterance_s=30
    )
    stream = await open_speech_stream(bus, requester, payload, timeout=5, clock=clock)
    try:
        await stream.send_audio(VOICED)
        await stream.send_prompt("Grand style")
        for pcm in (VOICED, VOICED, SILENT):
            await stream.send_audio(pcm)
        await stream.end()
        events = [await stream.next_event(5)]
        while events[-1].event != "closed":
            events.append(await stream.next_event(5))
    finally:
        await stream.close()

    assert [(event.event, getattr(event, "text", None)) for event in events] == [
        ("accepted", None),
        ("speech_started", None),
        ("partial", "two"),
        ("partial", "two french"),
        ("final", "two french dinners"),
        ("closed", None),
    ]
    assert speech.prompts == ["Grand style"]
