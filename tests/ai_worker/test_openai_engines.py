"""The openai LLM and image engines against a fake OpenAI-compatible server."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from ai_worker.engines import build_engine
from ai_worker.engines.image_openai import OpenAIImageEngine
from ai_worker.engines.image_sketch import SketchImageEngine, render_png
from ai_worker.engines.llm_openai import OpenAILLMEngine
from ai_worker.engines.llm_rules import RulesLLMEngine
from ai_worker.engines.stt_openai import OpenAISttEngine
from ai_worker.errors import EngineError
from config.worker import WorkerSettings
from tests.support.ai_catalog import llm_payload
from tests.support.fake_openai import FakeOpenAI, chat_reply

ANSWER: dict[str, Any] = {
    "intent": "order",
    "confidence": 0.8,
    "response": "Two French dinners, grand style. Shall I place the order?",
    "order_state": {
        "menu_code": "french",
        "style_code": "grand",
        "quantity": 2,
        "customizations": {"wine": 2, "caviar": 3},
    },
    "state": "confirmation",
    "state_decision": "advance",
}


def _llm(server: FakeOpenAI) -> OpenAILLMEngine:
    config = WorkerSettings(
        llm_engine="openai", llm_base_url=server.url, llm_model="qwen2.5:7b", llm_api_key="k-1"
    )
    return OpenAILLMEngine(config)


async def test_llm_asks_for_json_with_the_context_and_validates_the_answer(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reply = chat_reply(json.dumps(ANSWER))
    engine = _llm(fake_openai)
    messages = [{"role": "assistant", "content": "Which dinner?"}]
    try:
        result = await engine.run(
            llm_payload("two french grand", stage="menu_selection", messages=messages)
        )
    finally:
        await engine.close()
    sent = fake_openai.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer k-1"
    assert sent.body["model"] == "qwen2.5:7b"
    assert sent.body["response_format"] == {"type": "json_object"}
    assert sent.body["messages"][-1] == {"role": "user", "content": "two french grand"}
    assert {"role": "assistant", "content": "Which dinner?"} in sent.body["messages"]
    assert '"french"' in sent.body["messages"][1]["content"]  # the catalog travels along
    # the unknown ingredient is dropped; positions are filled in
    # The French dinner has no caviar: the service refuses it and says so.
    assert result["order_state"]["customizations"] == {"wine": 2, "caviar": 3}
    assert result["menu_selection"] == 1
    assert result["style_selection"] == 1
    assert result["state"] == "confirmation"


async def test_llm_passes_unknown_codes_on_for_the_service_to_refuse(
    fake_openai: FakeOpenAI,
) -> None:
    order = {"menu_code": "pizza", "style_code": "grand", "quantity": 42}
    answer = {**ANSWER, "order_state": order}
    fake_openai.reply = chat_reply("```json\n" + json.dumps(answer) + "\n```")
    engine = _llm(fake_openai)
    result = await engine.run(llm_payload("pizza"))
    await engine.close()
    assert result["order_state"]["menu_code"] == "pizza"
    assert result["order_state"]["style_code"] == "grand"
    assert (result["menu_selection"], result["style_selection"]) == (None, None)
    assert result["quantity"] == 42


async def test_llm_without_a_quantity_proposes_none(fake_openai: FakeOpenAI) -> None:
    answer = {**ANSWER, "order_state": {"menu_code": "french", "style_code": "grand"}}
    fake_openai.reply = chat_reply(json.dumps(answer))
    engine = _llm(fake_openai)
    result = await engine.run(llm_payload("the french dinner, grand"))
    await engine.close()
    # Not 1: a quantity said earlier in the conversation stays.
    assert result["quantity"] is None
    assert (result["menu_selection"], result["style_selection"]) == (1, 1)


@pytest.mark.parametrize(
    ("status", "reply"),
    [
        (200, chat_reply("I think you want the French dinner!")),
        (200, chat_reply(json.dumps({"intent": "order"}))),
        (200, {"choices": []}),
        (500, {"error": "overloaded"}),
    ],
    ids=["prose", "missing-fields", "no-choices", "http-500"],
)
async def test_llm_refuses_unusable_answers(
    fake_openai: FakeOpenAI, status: int, reply: Any
) -> None:
    fake_openai.status, fake_openai.reply = status, reply
    engine = _llm(fake_openai)
    with pytest.raises(EngineError) as caught:
        await engine.run(llm_payload("hello"))
    await engine.close()
    assert caught.value.code == "upstream_error"


async def test_llm_unreachable_endpoint_is_an_upstream_error(fake_openai: FakeOpenAI) -> None:
    url = fake_openai.url
    await fake_openai.stop()
    engine = OpenAILLMEngine(WorkerSettings(llm_engine="openai", llm_base_url=url, llm_model="m"))
    with pytest.raises(EngineError) as caught:
        await engine.run(llm_payload("hello"))
    await engine.close()
    assert caught.value.code == "upstream_error"


async def test_image_returns_the_generated_picture(fake_openai: FakeOpenAI) -> None:
    png = render_png("a cake")
    fake_openai.reply = {"data": [{"b64_json": base64.b64encode(png).decode()}]}
    engine = OpenAIImageEngine(
        WorkerSettings(image_engine="openai", image_base_url=fake_openai.url, image_model="sd")
    )
    result = await engine.run({"prompt": "a cake", "aspect_ratio": "1:1"})
    await engine.close()
    assert base64.b64decode(result["image_b64"]) == png
    assert result["mime_type"] == "image/png"
    sent = fake_openai.requests[0]
    assert sent.path == "/v1/images/generations"
    assert sent.body["size"] == "1024x1024"
    assert sent.body["model"] == "sd"


async def test_image_by_link_is_fetched(fake_openai: FakeOpenAI) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 100
    fake_openai.raw["/files/cake.jpg"] = jpeg
    fake_openai.reply = {"data": [{"url": fake_openai.url.removesuffix("/v1") + "/files/cake.jpg"}]}
    engine = OpenAIImageEngine(
        WorkerSettings(image_engine="openai", image_base_url=fake_openai.url)
    )
    result = await engine.run({"prompt": "a cake"})
    await engine.close()
    assert result["mime_type"] == "image/jpeg"
    assert base64.b64decode(result["image_b64"]) == jpeg


async def test_image_that_is_not_an_image_is_refused(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply = {"data": [{"b64_json": base64.b64encode(b"<html>").decode()}]}
    engine = OpenAIImageEngine(
        WorkerSettings(image_engine="openai", image_base_url=fake_openai.url)
    )
    with pytest.raises(EngineError) as caught:
        await engine.run({"prompt": "a cake"})
    await engine.close()
    assert caught.value.code == "upstream_error"


def test_engines_are_chosen_by_configuration() -> None:
    openai = WorkerSettings(
        llm_engine="openai", llm_base_url="http://h/v1", llm_model="m",
        image_engine="openai", image_base_url="http://h/v1",
    )  # fmt: skip
    assert isinstance(build_engine("llm", WorkerSettings()), RulesLLMEngine)
    assert isinstance(build_engine("image", WorkerSettings()), SketchImageEngine)
    assert isinstance(build_engine("llm", openai), OpenAILLMEngine)
    assert isinstance(build_engine("image", openai), OpenAIImageEngine)


def _stt(server: FakeOpenAI) -> OpenAISttEngine:
    config = WorkerSettings(stt_engine="openai", stt_base_url=server.url, stt_api_key="k-2")
    return OpenAISttEngine(config)


def _field(body: bytes, name: str) -> str | None:
    """A form field of a multipart body."""
    match = re.search(rb'name="' + name.encode() + rb'"\r\n\r\n(.*?)\r\n--', body, re.S)
    return match.group(1).decode() if match else None


async def test_stt_sends_the_audio_with_the_prompt_and_language(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply = {"text": " Two French Dinners, Grand style. ", "language": "en"}
    engine = _stt(fake_openai)
    payload = {
        "audio_b64": base64.b64encode(b"RIFF fake wav").decode(),
        "filename": "turn.wav",
        "mime_type": "audio/wav",
        "language": "en",
        "prompt": "Two French Dinners, Grand style.",
    }
    try:
        result = await engine.run(payload)
        await engine.run({**payload, "prompt": None, "language": None})
    finally:
        await engine.close()

    assert result == {"text": "Two French Dinners, Grand style.", "language": "en"}
    prompted, plain = fake_openai.requests
    assert (prompted.path, prompted.headers["authorization"]) == (
        "/v1/audio/transcriptions",
        "Bearer k-2",
    )
    assert _field(prompted.body, "prompt") == "Two French Dinners, Grand style."
    assert (_field(prompted.body, "language"), _field(prompted.body, "model")) == (
        "en",
        "whisper-1",
    )
    assert b"RIFF fake wav" in prompted.body and b'filename="turn.wav"' in prompted.body
    assert _field(plain.body, "prompt") is None and _field(plain.body, "language") is None


async def test_stt_without_text_is_an_upstream_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.reply = {"error": "no"}
    engine = _stt(fake_openai)
    try:
        with pytest.raises(EngineError) as caught:
            await engine.run({"audio_b64": base64.b64encode(b"x").decode()})
    finally:
        await engine.close()
    assert caught.value.code == "upstream_error"


def test_the_openai_stt_engine_is_chosen_by_configuration() -> None:
    config = WorkerSettings(stt_engine="openai", stt_base_url="http://127.0.0.1:9/v1")
    assert isinstance(build_engine("stt", config), OpenAISttEngine)
    with pytest.raises(ValueError, match="STT_BASE_URL: required with STT_ENGINE=openai"):
        WorkerSettings(stt_engine="openai")
