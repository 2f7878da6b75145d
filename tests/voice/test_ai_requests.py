"""Every AI request the service sends is a message of ``bus/ai_messages.py``: the
envelope and the payload the reference AI Server reads with the same models."""

from __future__ import annotations

from pydantic import BaseModel

from bus.ai_messages import ImagePayload, LlmPayload, RequestEnvelope, SttPayload
from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend
from tests.support.images import image_bytes, image_result
from tests.support.voice_api import (
    AUDIO,
    GENERATE,
    StartApp,
    llm_answer,
    post_stt,
    say,
    upload,
)

PAYLOADS: dict[str, type[BaseModel]] = {
    "stt": SttPayload,
    "llm": LlmPayload,
    "image": ImagePayload,
}


async def test_every_request_is_a_message_of_the_contract(
    memory_backend: Backend, start_app: StartApp
) -> None:
    ai_server = ScriptedAIServer(memory_backend.bus)
    french = {"menu_code": "french", "quantity": 2, "customizations": {"wine": 2}}
    ai_server.llm.queue(llm_answer(order_state=french), llm_answer("Which style?"))
    ai_server.stt.queue({"text": "two french dinners", "language": "en"})
    ai_server.image.queue(image_result(image_bytes("PNG")))
    await ai_server.start()
    try:
        client = await start_app(memory_backend.bus)
        status, first = await say(client, "two french dinners with two wines")
        # The second turn's context carries the conversation and the draft order.
        assert (status, (await say(client, "grand", first["session_id"]))[0]) == (200, 200)
        stt_status, _ = await post_stt(client, audio=upload(AUDIO), language="en")
        image = await client.post(GENERATE, json={"prompt": "a red cake", "aspect_ratio": "1:1"})
        assert (stt_status, image.status_code) == (200, 201)
    finally:
        await ai_server.stop()

    for kind, model in PAYLOADS.items():
        assert ai_server.engine(kind).requests, kind
        for request in ai_server.engine(kind).requests:
            envelope = RequestEnvelope.model_validate(request)
            assert envelope.type == kind
            model.model_validate(envelope.payload)
    context = LlmPayload.model_validate(ai_server.llm.payloads[1]).context
    assert [message.role for message in context.messages] == ["user", "assistant"]
    assert (context.order_state.menu_code, context.order_state.customizations) == (
        "french",
        {"wine": 2},
    )
    assert [menu.code for menu in context.catalog.menus]
