"""POST /api/voice/stt fills the ``stt`` request's ``prompt`` (docs/contract.md §1.2 and §2.2).

The prompt holds the catalog's menu and style names and number words in the
request's language; with a ``session_id`` (a conversation of the caller's,
owned as for analyze) also what the conversation's stage expects.
"""

from __future__ import annotations

from typing import Any

from quart.testing import QuartClient

from quart_app.testing import ScriptedAIServer
from tests.support.tokens import bearer
from tests.support.voice_api import AUDIO, llm_answer, post_stt, say, upload

FRENCH = {"menu_code": "french", "style_code": None, "quantity": 1}


async def _prompt(client: QuartClient, ai_server: ScriptedAIServer, **form: Any) -> str:
    ai_server.stt.queue({"text": "two french dinners", "language": "en"})
    status, body = await post_stt(client, audio=upload(AUDIO), **form)
    assert status == 200, body
    return str(ai_server.stt.payloads[-1]["prompt"])


async def _at_style_selection(
    client: QuartClient, ai_server: ScriptedAIServer, **caller: Any
) -> dict[str, Any]:
    ai_server.llm.queue(llm_answer("Which style?", order_state=FRENCH, state="style_selection"))
    _, turn = await say(client, "french dinner", **caller)
    assert turn["state"] == "style_selection"
    return turn


async def test_the_prompt_names_the_catalog_in_english(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    prompt = await _prompt(client, ai_server, language="en")

    for name in ("Valentine Dinner", "French Dinner", "Champagne Feast Dinner", "Grand", "Deluxe"):
        assert name in prompt
    assert "Two " in prompt and "Three " in prompt
    assert len(prompt) <= 1000


async def test_the_prompt_is_in_the_requests_language(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    prompt = await _prompt(client, ai_server, language="ko")

    assert "프렌치 디너" in prompt and "그랜드" in prompt and "두 개" in prompt
    assert "French" not in prompt


async def test_a_conversation_adds_what_its_stage_expects(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    turn = await _at_style_selection(client, ai_server)

    prompt = await _prompt(client, ai_server, session_id=turn["session_id"])

    # The conversation is in English: its prompt too, ending in the styles of its menu.
    assert prompt.endswith("The Simple one. The Grand one. The Deluxe one.")


async def test_someone_elses_conversation_is_403_and_an_unknown_one_404(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    member = bearer("7", "customer")
    turn = await _at_style_selection(client, ai_server, user_id="7", headers=member)

    async def stt(headers: dict[str, str] | None) -> tuple[int, dict[str, Any]]:
        response = await client.post(
            "/api/voice/stt",
            files={"audio": upload(AUDIO)},
            form={"session_id": turn["session_id"]},
            headers=headers,
        )
        return response.status_code, await response.get_json()

    other_status, other = await stt(bearer("8", "customer"))
    guest_status, guest = await stt(None)
    unknown_status, unknown = await post_stt(client, audio=upload(AUDIO), session_id="nope")
    assert ai_server.stt.requests == []
    ai_server.stt.queue({"text": "grand", "language": "en"})
    own_status, _ = await stt(member)

    assert (other_status, other["error"]["code"]) == (403, "session_forbidden")
    assert (guest_status, guest["error"]["code"]) == (403, "session_forbidden")
    assert (unknown_status, unknown["error"]["code"]) == (404, "session_not_found")
    assert own_status == 200
    assert "Grand style, please." in ai_server.stt.payloads[0]["prompt"]


async def test_a_guest_conversation_is_anyone_holding_its_id(
    client: QuartClient, ai_server: ScriptedAIServer
) -> None:
    turn = await _at_style_selection(client, ai_server)

    prompt = await _prompt(client, ai_server, session_id=turn["session_id"])

    assert "Deluxe style, please." in prompt
