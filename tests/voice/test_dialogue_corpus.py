"""The dialogue corpus of ``tests/ai_worker`` through ``POST /api/voice/analyze``.

Each scripted conversation runs on the service's own path: the app with its
embedded reference AI worker (the ``rules`` engine) on the memory bus, the
real session store, turn logic and order service; the order it places is read
back with ``GET /api/orders/{id}``. Only the data layer's reads are the
corpus's: its catalog (the scripts' expectations are written against it), and
each script's member history and promotions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from config import Settings
from domain.catalog import Catalog
from quart_app import create_app
from quart_app.database import Database
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.service import OrderService
from quart_app.services.voice.data_source import ServiceVoiceData
from tests.support.ai_catalog import CATALOG, as_catalog
from tests.support.dialogue_scripts import CANCELLED, SCRIPTS, Script
from tests.support.tokens import bearer
from tests.support.voice_api import ANALYZE

MEMBER = "42"
STAFF = bearer("manager-1", "manager")
CORPUS_CATALOG = as_catalog(CATALOG)


class CorpusVoiceData(ServiceVoiceData):
    """The app's order service, over the corpus's catalog and ``script``'s history."""

    def __init__(
        self, database: Database, catalog: CatalogService, orders: OrderService, script: Script
    ) -> None:
        super().__init__(database, catalog, orders)
        self._script = script

    async def catalog(self) -> Catalog:
        return CORPUS_CATALOG

    async def order_history(self, user_id: str) -> dict[str, Any]:
        return self._script.history

    async def active_events(self, now: float) -> list[dict[str, Any]]:
        return self._script.events


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
async def test_a_scripted_conversation_ends_in_its_order(
    make_settings: Callable[..., Settings], script: Script
) -> None:
    app = create_app(
        make_settings(ai_worker="embedded"),
        voice_data=lambda *services: CorpusVoiceData(*services, script),
    )
    # As in the corpus: a script with an order history is a member's.
    member = MEMBER if script.history else None
    headers = bearer(MEMBER, "customer") if member else None
    answers: list[dict[str, Any]] = []
    async with app.test_app() as serving:
        client = serving.test_client()
        session_id = None
        for line in script.lines:
            response = await client.post(
                ANALYZE,
                json={"transcript": line, "user_id": member, "session_id": session_id},
                headers=headers,
            )
            answer = await response.get_json()
            assert response.status_code == 200, answer
            answers.append(answer)
            session_id = answer["session_id"]
        order_id = answers[-1]["order_id"]
        order = None
        if order_id is not None:
            response = await client.get(f"/api/orders/{order_id}", headers=headers or STAFF)
            order = await response.get_json()
            assert response.status_code == 200, order

    replies = [answer["response"] for answer in answers]
    if script.order is CANCELLED:
        assert [answer["order_id"] for answer in answers] == [None] * len(answers), replies
        assert answers[-1]["state_decision"] == "cancel", replies
        return
    assert order is not None, replies
    assert answers[-1]["state"] == "completed"
    assert (order["customer_id"], order["status"]) == (member, "pending")
    menu, style, quantity, customizations = script.order
    assert [
        (item["menu_code"], item["style_code"], item["quantity"], item["customizations"])
        for item in order["items"]
    ] == [(menu, style, quantity, customizations)]
