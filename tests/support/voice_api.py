"""Driving the voice API in tests: its paths, a fake data layer, requests and answers."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quart.datastructures import FileStorage
from quart.testing import QuartClient
from werkzeug.datastructures import Headers

from domain.catalog import Catalog
from quart_app.services.orders.service import ChosenItem
from quart_app.services.voice.data_source import EMPTY_HISTORY
from tests.support.ai_catalog import CATALOG, as_catalog

ANALYZE = "/api/voice/analyze"
STT = "/api/voice/stt"
GENERATE = "/api/customizations/generate-ai-image"

AUDIO = b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 8
"""Bytes that pass the upload checks as a WAV clip (the AI Server is scripted)."""

StartApp = Callable[..., Awaitable[QuartClient]]
"""``await start_app(bus, **settings)``: a serving app instance on ``bus``, its client."""


@dataclass
class FakeVoiceData:
    """The data layer's part in a turn, in memory: the demo catalog and placed orders."""

    catalog_value: Catalog = field(default_factory=lambda: as_catalog(CATALOG))
    histories: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[str, tuple[str | None, list[ChosenItem], str]] = field(default_factory=dict)
    refuse_orders: bool = False

    async def catalog(self) -> Catalog:
        return self.catalog_value

    async def order_history(self, user_id: str) -> dict[str, Any]:
        return self.histories.get(user_id, EMPTY_HISTORY)

    async def active_events(self, now: float) -> list[dict[str, Any]]:
        return self.events

    async def place_order(
        self, customer_id: str | None, items: Sequence[ChosenItem], *, session_id: str
    ) -> str:
        if self.refuse_orders:
            raise RuntimeError("the database is down")
        order_id = f"order-{len(self.orders) + 1}"
        self.orders[order_id] = (customer_id, list(items), session_id)
        return order_id


def llm_answer(response: str = "Sure.", **fields: Any) -> dict[str, Any]:
    """An ``llm`` result: ``response`` plus the given fields of ``VoiceAnalysisResponse``."""
    return {"intent": "order", "confidence": 0.9, "response": response, **fields}


def confirming() -> dict[str, Any]:
    """The ``llm`` answer that brings a conversation to confirm a French Grand."""
    return llm_answer(
        "Confirm?",
        order_state={"menu_code": "french", "style_code": "grand"},
        state="confirmation",
    )


def confirmed() -> dict[str, Any]:
    """The ``llm`` answer to the customer's yes at confirmation: place the order."""
    return llm_answer("Placed!", state_decision="confirm")


async def say(
    client: QuartClient,
    transcript: str,
    session_id: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> tuple[int, dict[str, Any]]:
    """Post one utterance; the status and the JSON body."""
    response = await client.post(
        ANALYZE, json={"transcript": transcript, "session_id": session_id, **body}, headers=headers
    )
    return response.status_code, await response.get_json()


def upload(data: bytes, content_type: str = "audio/wav", filename: str = "clip.wav") -> FileStorage:
    """``data`` as an uploaded file."""
    return FileStorage(
        stream=io.BytesIO(data),
        filename=filename,
        headers=Headers({"Content-Type": content_type}),
    )


async def post_stt(client: QuartClient, **fields: Any) -> tuple[int, dict[str, Any]]:
    """Post ``fields`` (files and form values) to the STT endpoint; the status and JSON body."""
    files = {name: value for name, value in fields.items() if isinstance(value, FileStorage)}
    form = {name: value for name, value in fields.items() if name not in files}
    response = await client.post(STT, files=files, form=form)
    return response.status_code, await response.get_json()
