"""The service's tables (SQLAlchemy 2 declarative); ``Base.metadata`` is what Alembic migrates."""

from __future__ import annotations

from quart_app.models.base import Base, UtcDateTime, utc_now
from quart_app.models.catalog import Ingredient, Menu, MenuIngredient, Style, menu_styles
from quart_app.models.media import MediaBlob, MediaImage
from quart_app.models.orders import Order, OrderItem
from quart_app.models.outbox import OutboxEvent
from quart_app.models.promotions import Promotion, promotion_menus
from quart_app.models.users import User

__all__ = [
    "Base",
    "Ingredient",
    "MediaBlob",
    "MediaImage",
    "Menu",
    "MenuIngredient",
    "Order",
    "OrderItem",
    "OutboxEvent",
    "Promotion",
    "Style",
    "User",
    "UtcDateTime",
    "menu_styles",
    "promotion_menus",
    "utc_now",
]
