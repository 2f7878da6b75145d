"""POST /api/voice/analyze on every bus: a conversation from greeting to a placed order."""

from __future__ import annotations

from typing import Any

import pytest
from quart.testing import QuartClient

from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend
from tests.support.tokens import bearer
from tests.support.voice_api import ANALYZE, FakeVoiceData, StartApp, llm_answer, say


async def test_a_new_conversation_starts_and_sends_the_context(
    client: QuartClient, ai_server: ScriptedAIServer, data: FakeVoiceData
) -> None:
    data.events.append({"id": "ev-1", "title_en": "Valentine Week"})
    ai_server.llm.queue(llm_answer("Hello! What would you like?", intent="greeting"))

    status, body = await say(client, "  hello  ")

    assert status == 200, body
    assert body["state"] == "greeting"
    assert body["response"] == "Hello! What would you like?"
    assert len(body["session_id"]) >= 32
    payload = ai_server.llm.payloads[0]
    assert payload["transcript"] == "hello"
    assert payload["user_id"] is None
    assert payload["session_id"] == body["session_id"]
    context = payload["context"]
    assert context["stage"] == "greeting"
    assert context["messages"] == []
    assert context["active_events"] == [{"id": "ev-1", "title_en": "Valentine Week"}]
    assert context["order_history"]["recent_orders"] == []
    assert [menu["code"] for menu in context["catalog"]["menus"]][:2] == ["valentine", "french"]
    assert {"context_summary", "order_state_summary", "order_state"} <= context.keys()


async def test_a_full_conversation_places_the_order(
    client: QuartClient, ai_server: ScriptedAIServer, data: FakeVoiceData
) -> None:
    data.histories["42"] = {"favorite_menus": ["french"], "recent_orders": []}
    member = bearer("42", "customer")
    ai_server.llm.queue(
        llm_answer(
            "Two French dinners?",
            order_state={"menu_code": "french", "quantity": 2},
            state="style_selection",
            state_decision="advance",
        ),
        llm_answer("Grand style, confirm?", style_selection=1, state="confirmation"),
        llm_answer("Ordered!", intent="confirm", state_decision="confirm"),
    )

    status, first = await say(client, "two french dinners", user_id="42", headers=member)
    assert status == 200, first
    assert (first["state"], first["order_state"]["menu_code"], first["quantity"]) == (
        "style_selection",
        "french",
        2,
    )
    session_id = first["session_id"]
    status, second = await say(client, "grand please", session_id, user_id="42", headers=member)
    assert status == 200, second
    assert second["state"] == "confirmation"
    assert second["order_state"]["style_code"] == "grand"
    assert second["order_state"]["total"] == 2 * (48000 + 10000)
    status, third = await say(client, "yes", session_id, user_id="42", headers=member)

    assert status == 200, third
    assert third["state"] == "completed"
    assert third["state_decision"] == "confirm"
    order_id = third["order_id"]
    customer, lines, placed_by = data.orders[order_id]
    assert (customer, placed_by) == ("42", session_id)
    assert [(line.menu_code, line.style_code, line.quantity) for line in lines] == [
        ("french", "grand", 2)
    ]
    context = ai_server.llm.payloads[2]["context"]
    assert context["order_history"] == {"favorite_menus": ["french"], "recent_orders": []}
    assert [m["role"] for m in context["messages"]] == ["user", "assistant"] * 2
    assert context["stage"] == "confirmation"


async def test_the_domain_not_the_ai_decides_the_state(
    client: QuartClient, ai_server: ScriptedAIServer, data: FakeVoiceData
) -> None:
    ai_server.llm.queue(
        llm_answer(
            "Confirmed!",
            order_state={"menu_code": "sushi", "style_code": "grand"},
            state="confirmation",
            state_decision="confirm",
            recommended_menu={"code": "french", "name": "Cheap", "price": 1},
        ),
    )

    status, body = await say(client, "sushi, confirm")

    assert status == 200, body
    assert body["state"] == "greeting"
    assert body["order_state"]["menu_code"] is None
    assert body["order_id"] is None and data.orders == {}
    assert body["recommended_menu"]["price"] == 48000
    assert body["recommended_menu"]["name"] == "French Dinner"
    assert any("Which dinner" in question for question in body["additional_questions"])


async def test_an_unknown_intent_falls_back_to_unknown(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.llm.queue(llm_answer("Hmm?", intent="small_talk"))

    status, body = await say(client, "nice weather")

    assert (status, body["intent"]) == (200, "unknown")


async def test_bad_bodies_are_refused_before_the_ai_is_asked(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    bodies: list[Any] = [
        {"transcript": "   "},
        {"transcript": "x" * 2001},
        {"transcript": "hi", "extra": 1},
        {"transcript": 5},
        {"transcript": "hi", "user_id": 42},
        ["hi"],
    ]
    for body in bodies:
        response = await client.post(ANALYZE, json=body)
        assert response.status_code == 422, body
        assert (await response.get_json())["error"]["code"] == "validation_error"
    broken = await client.post(ANALYZE, data=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert ai_server.llm.requests == []


@pytest.mark.parametrize(
    ("path", "field"),
    [(ANALYZE, "transcript"), ("/api/customizations/generate-ai-image", "prompt")],
)
async def test_the_openapi_schema_refuses_blank_text(
    memory_backend: Backend, start_app: StartApp, path: str, field: str
) -> None:
    """The text is trimmed before its length counts: the schema says it needs a non-space."""
    client = await start_app(memory_backend.bus)
    spec = await (await client.get("/openapi.json")).get_json()
    body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"][field]["pattern"] == r"\S"


@pytest.mark.parametrize("limit", [10, 3000])
async def test_max_transcript_chars_bounds_the_transcript(
    memory_backend: Backend, start_app: StartApp, limit: int
) -> None:
    ai_server = ScriptedAIServer(memory_backend.bus)
    ai_server.llm.always(llm_answer("Hello!"))
    await ai_server.start()
    try:
        client = await start_app(memory_backend.bus, max_transcript_chars=limit)
        # Trimmed first: the spaces don't count.
        ok_status, _ = await say(client, f"  {'x' * limit}  ")
        status, body = await say(client, "x" * (limit + 1))
    finally:
        await ai_server.stop()

    assert ok_status == 200
    assert (status, body["error"]["code"]) == (422, "validation_error")
    assert [detail["field"] for detail in body["error"]["details"]] == ["transcript"]
    assert str(limit) in body["error"]["details"][0]["message"]
    assert len(ai_server.llm.requests) == 1


async def test_empty_customizations_before_a_menu_propose_nothing(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    ai_server.llm.queue(
        llm_answer("Hello!", order_state={"customizations": {}}, customization_overrides={}),
    )

    status, body = await say(client, "hello")

    # Not "I couldn't take all of that": the AI proposed no customization.
    assert (status, body["additional_questions"]) == (200, [])


async def test_a_conversation_that_placed_its_order_takes_no_more_turns(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    # Its id is the guest's only credential: whoever learnt it (a cook, say) must
    # not go on speaking in it, and neither does anyone else.
    placing = {"order_state": {"menu_code": "french", "style_code": "grand"}}
    ai_server.llm.queue(
        llm_answer("Confirm?", state="confirmation", **placing),
        llm_answer("Ordered!", intent="confirm", state_decision="confirm"),
        llm_answer("Anything else?"),
    )
    _, first = await say(client, "french grand", user_id=None)
    status, placed = await say(client, "yes", first["session_id"], user_id=None)
    assert (status, placed["state"]) == (200, "completed")

    for headers in (bearer("cook-1", "cook"), None):
        status, refused = await say(
            client, "cancel it", first["session_id"], user_id=None, headers=headers
        )
        assert (status, refused["error"]["code"]) == (409, "session_completed")
    assert len(ai_server.llm.requests) == 2
