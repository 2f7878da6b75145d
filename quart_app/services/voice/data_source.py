"""What the voice flow needs from the data layer, behind one small interface.

:class:`VoiceData` names the four reads and writes; :class:`ServiceVoiceData`
implements them over the catalog, history and order services. The catalog
service caches the catalog itself; promotions and a member's history are kept
here for ``ttl`` seconds, so a busy conversation costs no query per turn (a
member's new order shows in their history within ``ttl``). Tests and
benchmarks pass another implementation to ``create_app(voice_data=...)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from domain.catalog import Catalog
from quart_app.database import Database, DatabaseUnavailable
from quart_app.services.orders.catalog import STALE_RETRY, CatalogService
from quart_app.services.orders.service import ChosenItem, OrderService
from quart_app.services.sized_cache import SizedCache
from quart_app.services.voice.history import get_active_events, get_user_order_history

log = logging.getLogger(__name__)

EMPTY_HISTORY: dict[str, Any] = {
    "favorite_menus": [],
    "preferred_style": None,
    "average_order_amount": 0,
    "recent_orders": [],
}


class VoiceData(Protocol):
    """Catalog, member history, promotions, and placing an order."""

    async def catalog(self) -> Catalog:
        """The catalog on offer now (cached by the implementation)."""

    async def order_history(self, user_id: str) -> dict[str, Any]:
        """``order_history`` of ``docs/ai-messages.md`` for a member."""

    async def active_events(self, now: float) -> list[dict[str, Any]]:
        """Promotions running at ``now`` (``active_events`` of ``docs/ai-messages.md``)."""

    async def place_order(
        self, customer_id: str | None, items: Sequence[ChosenItem], *, session_id: str
    ) -> str:
        """Place a ``pending`` order and return its id."""


DEFAULT_TTL = 30.0
MAX_HISTORIES = 10_000
MAX_HISTORY_BYTES = 8 * 1024 * 1024
HELD_PER_JSON_BYTE = 5
"""Memory a cached history holds per byte of its JSON: about 4.3 (tracemalloc, five recent
orders of small dicts and lists)."""


class ServiceVoiceData:
    """Reads and writes through the database, the catalog service and the order service.

    A member's history and the promotions are kept ``ttl`` seconds. While the
    database is unreachable a turn still gets the last ones read (or none), tried
    again every :data:`STALE_RETRY` seconds: a conversation needs no database
    until its order is placed.
    """

    def __init__(
        self,
        database: Database,
        catalog: CatalogService,
        orders: OrderService,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._catalog = catalog
        self._orders = orders
        self._ttl = ttl
        self._clock = clock
        self._events: tuple[float, list[dict[str, Any]]] | None = None
        self._histories: SizedCache[str, tuple[float, dict[str, Any]]] = SizedCache(
            max_entries=MAX_HISTORIES, max_bytes=MAX_HISTORY_BYTES
        )

    async def catalog(self) -> Catalog:
        return await self._catalog.get_catalog()

    async def order_history(self, user_id: str) -> dict[str, Any]:
        cached = self._histories.get(user_id)
        if cached is not None and self._clock() < cached[0]:
            return cached[1]
        try:
            history = await get_user_order_history(self._database, user_id)
            expires = self._clock() + self._ttl
        except DatabaseUnavailable as error:
            history = EMPTY_HISTORY if cached is None else cached[1]
            expires = self._clock() + STALE_RETRY
            log.warning("an order history from before the database went away: %s", error)
        size = len(orjson.dumps(history)) * HELD_PER_JSON_BYTE
        self._histories.put(user_id, (expires, history), size)
        return history

    async def active_events(self, now: float) -> list[dict[str, Any]]:
        if self._events is not None and self._clock() < self._events[0]:
            return self._events[1]
        try:
            events = await get_active_events(self._database, datetime.fromtimestamp(now, UTC))
            expires = self._clock() + self._ttl
        except DatabaseUnavailable as error:
            events = [] if self._events is None else self._events[1]
            expires = self._clock() + STALE_RETRY
            log.warning("promotions from before the database went away: %s", error)
        self._events = (expires, events)
        return events

    async def place_order(
        self, customer_id: str | None, items: Sequence[ChosenItem], *, session_id: str
    ) -> str:
        order = await self._orders.place_order(customer_id, items, session_id=session_id)
        self._histories.pop(customer_id or "")
        return order.order_id


VoiceDataFactory = Callable[[Database, CatalogService, OrderService], VoiceData]
"""How ``create_app`` gets its :class:`VoiceData` once the database is open."""
