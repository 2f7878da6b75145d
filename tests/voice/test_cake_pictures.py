"""A cake picture made for a conversation becomes its order's picture (docs/contract.md §2.3)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart.testing import QuartClient

from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend
from tests.support.images import image_bytes, image_result
from tests.support.tokens import bearer
from tests.support.voice_api import GENERATE, FakeVoiceData, StartApp, llm_answer, say

# The test catalog has no cake; a picture may go on any dinner.
CAKE = {"menu_code": "french", "style_code": "grand", "quantity": 1}


@pytest.fixture
async def scripted(
    memory_backend: Backend, start_app: StartApp
) -> AsyncIterator[tuple[QuartClient, ScriptedAIServer]]:
    ai_server = ScriptedAIServer(memory_backend.bus)
    await ai_server.start()
    yield await start_app(memory_backend.bus), ai_server
    await ai_server.stop()


def script_a_confirmed_order_and_a_picture(ai_server: ScriptedAIServer) -> None:
    ai_server.llm.queue(
        llm_answer("A cake?", order_state=CAKE, state="confirmation"),
        llm_answer("Ordered!", intent="confirm", state_decision="confirm"),
    )
    ai_server.image.queue(image_result(image_bytes("PNG")))


async def draw(client: QuartClient, session_id: str | None, **headers: str) -> tuple[int, dict]:
    body = {"prompt": "roses", "aspect_ratio": "1:1", "session_id": session_id}
    response = await client.post(GENERATE, json=body, headers=headers)
    return response.status_code, await response.get_json()


async def test_the_picture_goes_with_the_order_the_conversation_places(
    scripted: tuple[QuartClient, ScriptedAIServer], data: FakeVoiceData
) -> None:
    client, ai_server = scripted
    script_a_confirmed_order_and_a_picture(ai_server)
    status, first = await say(client, "a custom cake")
    assert (status, first["state"], first["order_state"]["image_id"]) == (200, "confirmation", None)
    session_id = first["session_id"]

    status, picture = await draw(client, session_id)
    assert status == 201, picture
    status, placed = await say(client, "yes", session_id)
    assert status == 200, placed
    assert placed["state"] == "completed", placed
    assert placed["order_state"]["image_id"] == picture["image_id"]
    _, lines, _ = data.orders[placed["order_id"]]
    assert [line.image_id for line in lines] == [picture["image_id"]]


async def test_a_conversation_that_is_not_the_callers_gets_no_picture(
    scripted: tuple[QuartClient, ScriptedAIServer],
) -> None:
    client, ai_server = scripted
    ai_server.llm.queue(llm_answer("Hello member."))
    _, member_turn = await say(client, "hi", user_id="m-1", headers=bearer("m-1", "customer"))
    member_session = member_turn["session_id"]

    assert (await draw(client, "x" * 32))[0] == 404
    assert (await draw(client, member_session))[0] == 403
    assert (await draw(client, member_session, **bearer("m-2", "customer")))[0] == 403
    assert ai_server.image.requests == []  # refused before any picture was made


async def test_a_conversation_that_placed_its_order_takes_no_more_pictures(
    scripted: tuple[QuartClient, ScriptedAIServer],
) -> None:
    client, ai_server = scripted
    script_a_confirmed_order_and_a_picture(ai_server)
    _, first = await say(client, "a custom cake")
    await say(client, "yes", first["session_id"])
    status, refused = await draw(client, first["session_id"])
    assert (status, refused["error"]["code"]) == (409, "session_completed")
