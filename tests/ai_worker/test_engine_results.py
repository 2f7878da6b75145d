"""Every engine's real answer to a real request passes the service's validation.

Each engine runs in a real worker on the memory bus, chosen by its settings
as in production; the service's AI client sends the request and waits for the
reply, and the service's reader (``ai_client.read_result``) validates it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ai_worker.runner import Worker
from bus.ai import AIRequester
from bus.ai_messages import ImageResult, LlmResult, SttResult
from bus.memory import MemoryBus
from config.worker import WorkerSettings
from domain.stages import Stage
from quart_app.services.voice.ai_client import AIClient, read_result
from tests.support.ai_catalog import llm_payload
from tests.support.fake_openai import FakeOpenAI, chat_reply

FIXTURES = Path(__file__).parent / "fixtures"
Ask = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
Serve = Callable[..., Awaitable[Ask]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start a worker with the given settings; return the service's client's ``ask``."""
    bus = MemoryBus()
    await bus.connect()
    requester = AIRequester(bus)
    workers: list[Worker] = []

    async def start(**settings: Any) -> Ask:
        worker = Worker(
            bus, WorkerSettings(ai_worker_poll_timeout=0.1, ai_worker_heartbeat_ttl=3.0, **settings)
        )
        await worker.start()
        workers.append(worker)
        return AIClient(requester, timeout=60.0).wait_for_response

    yield start
    for worker in workers:
        await worker.stop(grace=0)
    await requester.close()
    await bus.close()


def _audio(name: str) -> dict[str, Any]:
    data = (FIXTURES / name).read_bytes()
    return {
        "audio_b64": base64.b64encode(data).decode(),
        "filename": name,
        "mime_type": "audio/wav",
        "language": "en",
        "prompt": "Two French Dinners, Grand style.",
    }


async def test_the_rules_engine(serve: Serve) -> None:
    ask = await serve(ai_worker_kinds=("llm",), llm_engine="rules")
    reply = await ask("llm", llm_payload("two french dinners, grand style"))
    result = read_result("llm", LlmResult, reply)
    assert result.order_state.menu_code == "french"
    assert result.state is not None and result.response


async def test_the_openai_llm_engine(serve: Serve, fake_openai: FakeOpenAI) -> None:
    answer = {
        "intent": "order",
        "response": "Two French dinners, grand style. Shall I place the order?",
        "order_state": {"menu_code": "french", "style_code": "grand", "quantity": 2},
        "state": "confirmation",
        "state_decision": "advance",
    }
    fake_openai.reply = chat_reply(json.dumps(answer))
    ask = await serve(
        ai_worker_kinds=("llm",), llm_engine="openai", llm_base_url=fake_openai.url, llm_model="m"
    )
    result = read_result("llm", LlmResult, await ask("llm", llm_payload("two french grand")))
    assert (result.menu_selection, result.style_selection) == (1, 1)
    assert result.state is Stage.CONFIRMATION


async def test_the_sketch_image_engine(serve: Serve) -> None:
    ask = await serve(ai_worker_kinds=("image",), image_engine="sketch")
    reply = await ask("image", {"prompt": "a red cake", "aspect_ratio": "1:1"})
    result = read_result("image", ImageResult, reply)
    assert result.mime_type == "image/png"
    assert base64.b64decode(result.image_b64).startswith(b"\x89PNG")


async def test_the_openai_image_engine(serve: Serve, fake_openai: FakeOpenAI) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    fake_openai.reply = {"data": [{"b64_json": png}]}
    ask = await serve(
        ai_worker_kinds=("image",), image_engine="openai", image_base_url=fake_openai.url
    )
    reply = await ask("image", {"prompt": "a red cake", "aspect_ratio": "1:1"})
    result = read_result("image", ImageResult, reply)
    assert (result.image_b64, result.mime_type) == (png, "image/png")


@pytest.mark.slow
async def test_the_whisper_engine(serve: Serve) -> None:
    ask = await serve(ai_worker_kinds=("stt",), stt_engine="whisper")
    result = read_result("stt", SttResult, await ask("stt", _audio("order_en.wav")))
    assert "french" in result.text.lower()
    assert result.duration_s is not None and result.duration_s > 0


async def test_the_openai_stt_engine(serve: Serve, fake_openai: FakeOpenAI) -> None:
    fake_openai.reply = {"text": "Two French Dinners, Grand style.", "language": "en"}
    ask = await serve(ai_worker_kinds=("stt",), stt_engine="openai", stt_base_url=fake_openai.url)
    result = read_result("stt", SttResult, await ask("stt", _audio("order_en.wav")))
    assert (result.text, result.language) == ("Two French Dinners, Grand style.", "en")
