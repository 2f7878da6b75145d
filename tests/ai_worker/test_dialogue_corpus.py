"""Scripted conversations, greeting to placed order (or cancel), in Korean and English.

Each line is one the customer needs: after a change the order is read back
and a "yes" places it, with no "that's all" in between. The generated corpora
of ``tests/support/dialogue_corpus.py`` go further (``tests/voice/test_dialogue_corpus.py``).
"""

from __future__ import annotations

import pytest

from tests.support.dialogue_scripts import CANCELLED, SCRIPTS, Script
from tests.support.rules_dialogue import converse


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
async def test_conversation_reaches_its_order(script: Script) -> None:
    talk = await converse(script.lines, history=script.history, events=script.events)
    assert talk.ignored == [], "the engine proposed something the domain refused"
    session = talk.session
    if script.order is CANCELLED:
        assert talk.cancelled
        assert not talk.placed
        return
    menu, style, quantity, customizations = script.order
    assert talk.placed, [r["response"] for r in talk.replies]
    assert talk.replies[-1]["state_decision"] == "confirm"
    assert session.stage == "completed"
    order = session.order_state
    assert (order.menu_code, order.style_code, order.quantity) == (menu, style, quantity)
    assert order.customizations == customizations


def test_the_corpus_is_big_enough() -> None:
    korean = [s for s in SCRIPTS if s.name.startswith("ko-")]
    assert len(SCRIPTS) >= 30
    assert len(korean) >= 15
