"""Voice API fixtures: the app on each bus backend, a scripted AI Server, a fake data layer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from bus.base import Bus
from config import Settings
from domain.catalog import Catalog
from quart_app import create_app
from quart_app.services.orders.service import ChosenItem
from quart_app.services.voice.data_source import EMPTY_HISTORY
from tests.ai_worker.catalog import CATALOG
from tests.bus.conftest import Backend, backend, open_backend
from tests.voice.responder import Responder

__all__ = ["Backend", "backend"]


@dataclass
class FakeVoiceData:
    """The data layer's part in a turn, in memory: the demo catalog and placed orders."""

    catalog_value: Catalog = field(default_factory=lambda: Catalog.from_ai_context(CATALOG))
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


@pytest.fixture
async def memory_backend(redis_url: str) -> AsyncIterator[Backend]:
    """The memory bus only, for tests of input handling that no bus changes."""
    async with open_backend("memory", redis_url) as made:
        yield made


@pytest.fixture
def data() -> FakeVoiceData:
    return FakeVoiceData()


@pytest.fixture
async def responder(backend: Backend) -> AsyncIterator[Responder]:
    scripted = Responder(backend.bus)
    scripted.start()
    yield scripted
    await scripted.stop()


StartApp = Callable[..., Awaitable[QuartClient]]


@pytest.fixture
async def start_app(
    make_settings: Callable[..., Settings], data: FakeVoiceData
) -> AsyncIterator[StartApp]:
    """``await start_app(bus, **settings)``: a serving app instance on ``bus``, its client."""
    async with AsyncExitStack() as stack:

        async def start(bus: Bus, **overrides: Any) -> QuartClient:
            settings = make_settings(**{"ai_timeout": 5.0, **overrides})
            app: Quart = create_app(settings, bus=bus, voice_data=lambda *_: data)
            serving: Any = await stack.enter_async_context(app.test_app())  # type: ignore[arg-type]
            client: QuartClient = serving.test_client()
            return client

        yield start


@pytest.fixture
async def client(backend: Backend, responder: Responder, start_app: StartApp) -> QuartClient:
    """One app instance on ``backend``, with the scripted AI Server running."""
    return await start_app(backend.bus)


def llm_answer(response: str = "Sure.", **fields: Any) -> dict[str, Any]:
    """An ``llm`` result: ``response`` plus the given fields of ``VoiceAnalysisResponse``."""
    return {"intent": "order", "confidence": 0.9, "response": response, **fields}
