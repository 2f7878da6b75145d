"""Promotions (events) the AI mentions while they run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quart_app.models.base import Base, UtcDateTime
from quart_app.models.catalog import Menu

promotion_menus = Table(
    "promotion_menus",
    Base.metadata,
    Column("promotion_id", ForeignKey("promotions.id", ondelete="CASCADE"), primary_key=True),
    Column("menu_code", ForeignKey("menus.code", ondelete="CASCADE"), primary_key=True),
)


class Promotion(Base):
    """A discount running from ``starts_at`` (inclusive) to ``ends_at`` (exclusive).

    No menus means it applies to every menu. It is information for the
    customer and the AI: order prices follow the catalog alone.
    """

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title_ko: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    discount_percent: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    menus: Mapped[list[Menu]] = relationship(secondary=promotion_menus, order_by=Menu.position)
