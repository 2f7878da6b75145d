"""While the database is unreachable, a conversation's turns get the catalog, promotions
and history last read (or none), and the database is tried again every few seconds."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from quart_app.database import Database, DatabaseUnavailable
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.orders.catalog import STALE_RETRY, CatalogService
from quart_app.services.orders.service import OrderService
from quart_app.services.voice.data_source import EMPTY_HISTORY, ServiceVoiceData


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Outage:
    """Makes ``database`` unreachable on demand, counting the sessions asked for meanwhile."""

    def __init__(self, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tries = 0
        self._real: Callable[..., AbstractAsyncContextManager[Any]] = database.session
        self._database = database
        self._monkeypatch = monkeypatch

    def begin(self) -> None:
        def refused(*_: object, **__: object) -> AbstractAsyncContextManager[Any]:
            self.tries += 1
            raise DatabaseUnavailable("connection refused")

        self._monkeypatch.setattr(self._database, "session", refused)

    def end(self) -> None:
        self._monkeypatch.setattr(self._database, "session", self._real)


async def test_the_last_catalog_is_served_while_the_database_is_away(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    service = CatalogService(database, ttl=30, clock=clock)
    loaded = await service.get_catalog()
    outage = Outage(database, monkeypatch)
    outage.begin()
    clock.now += 30

    assert await service.get_catalog() is loaded
    assert await service.get_catalog() is loaded
    assert outage.tries == 1  # not once per turn
    clock.now += STALE_RETRY
    assert await service.get_catalog() is loaded
    assert outage.tries == 2
    outage.end()
    clock.now += STALE_RETRY
    assert await service.get_catalog() is not loaded  # read again once it is back


async def test_without_an_earlier_catalog_the_outage_is_the_answer(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    Outage(database, monkeypatch).begin()
    with pytest.raises(DatabaseUnavailable):
        await CatalogService(database, clock=Clock()).get_catalog()


async def test_history_and_promotions_from_before_the_outage_or_none(
    database: Database, order_service: OrderService, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = OrderItemRequest(menu_code="french", style_code="grand", quantity=1)
    await order_service.place_order("c-1", [item])
    clock = Clock()
    data = ServiceVoiceData(database, CatalogService(database), order_service, ttl=30, clock=clock)
    known = await data.order_history("c-1")
    events = await data.active_events(1_800_000_000)
    outage = Outage(database, monkeypatch)
    outage.begin()
    clock.now += 30

    assert await data.order_history("c-1") == known
    assert await data.order_history("never-read") == EMPTY_HISTORY
    assert await data.active_events(1_800_000_000) == events
    tries = outage.tries
    assert await data.order_history("c-1") == known
    assert outage.tries == tries  # the fallback is kept a while: no try per turn
    assert known["favorite_menus"] == ["french"]
