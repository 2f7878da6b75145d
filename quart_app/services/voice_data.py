"""What the voice flow needs from the data layer, behind one small interface.

:class:`VoiceData` names the four reads and writes; :class:`ServiceVoiceData`
forwards each to the catalog and order services. Tests and benchmarks may put
another implementation on ``app.extensions[VOICE_DATA]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from domain.catalog import Catalog, OrderLine

VOICE_DATA = "voice_data"

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
        self, customer_id: str | None, lines: Sequence[OrderLine], *, session_id: str
    ) -> str:
        """Place a ``pending`` order and return its id."""
