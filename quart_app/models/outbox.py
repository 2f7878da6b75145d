"""The transactional outbox: notifications written with the change they announce."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quart_app.models.base import Base, UtcDateTime
from quart_app.models.orders import ORDER_ID_LENGTH

EVENT_ID_LENGTH = 41
"""Longest notification id: a Redis stream id, ``<ms>-<seq>`` of two 64-bit numbers."""
CLAIM_LENGTH = 32


class OutboxEvent(Base):
    """One notification waiting to be published, written in its order's transaction.

    A relay claims a batch of rows for a lease (``claimed_by`` names the claim,
    ``claimed_until`` is when it lapses), gives
    each its notification id once (``event_id``, kept across retries so a
    re-publish carries the same id), publishes, and deletes them. Rows of one
    order are published in ``id`` order: a row waits while an earlier row of
    its order is still here.
    """

    __tablename__ = "outbox_events"

    # SQLite autoincrements only an INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    order_id: Mapped[str] = mapped_column(String(ORDER_ID_LENGTH), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    target: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    """``{"user_ids": [...]}`` or ``{"roles": [...]}``, as on ``ws:notify``."""
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_id: Mapped[str | None] = mapped_column(String(EVENT_ID_LENGTH))
    claimed_by: Mapped[str | None] = mapped_column(String(CLAIM_LENGTH))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
