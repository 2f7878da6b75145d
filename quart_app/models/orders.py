"""Orders and their lines."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quart_app.models.base import Base, UtcDateTime

ORDER_ID_LENGTH = 32
_ORDER_ID = re.compile(rf"[0-9a-f]{{{ORDER_ID_LENGTH}}}")
IDEMPOTENCY_KEY_LENGTH = 200
SESSION_ID_LENGTH = 64
IMAGE_PATH_LENGTH = 120


def new_order_id() -> str:
    """A fresh random order id: ``ORDER_ID_LENGTH`` lowercase hex digits."""
    return uuid.uuid4().hex


def is_order_id(value: str) -> bool:
    """Whether ``value`` has the form of :func:`new_order_id` (other ids cannot exist)."""
    return _ORDER_ID.fullmatch(value) is not None


class Order(Base):
    """One order; ``version`` grows with every change (optimistic concurrency).

    ``(customer_id, idempotency_key)`` and ``session_id`` are unique, so a
    retried request or a conversation confirmed twice finds the order it
    already placed instead of placing a second one.
    """

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(ORDER_ID_LENGTH), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    total: Mapped[int] = mapped_column(Integer)
    assigned_cook_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    assigned_delivery_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    session_id: Mapped[str | None] = mapped_column(String(SESSION_ID_LENGTH), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)

    items: Mapped[list[OrderItem]] = relationship(
        order_by="OrderItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declared form


class OrderItem(Base):
    """One line of an order, priced by the server when the order was placed."""

    __tablename__ = "order_items"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    menu_code: Mapped[str] = mapped_column(ForeignKey("menus.code"))
    style_code: Mapped[str] = mapped_column(ForeignKey("styles.code"))
    quantity: Mapped[int] = mapped_column(Integer)
    customizations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Ingredient code -> units per dinner, replacing the menu's default."""
    unit_price: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[int] = mapped_column(Integer)
    image_id: Mapped[str | None] = mapped_column(ForeignKey("media_images.id"), index=True)
    """The cake picture of this line (``POST /api/customizations/generate-ai-image``)."""
    image_path: Mapped[str | None] = mapped_column(String(IMAGE_PATH_LENGTH))
