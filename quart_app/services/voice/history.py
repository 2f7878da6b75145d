"""What the AI context needs to know about a member and the promotions running now.

Both return the shapes of ``docs/ai-messages.md`` (``order_history`` and
``active_events``), JSON-safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from domain.orders import OrderStatus
from quart_app.database import Database
from quart_app.models import Order, OrderItem, Promotion

FAVORITE_MENUS = 3
RECENT_ORDERS = 5


async def get_user_order_history(
    database: Database, user_id: str, *, recent: int = RECENT_ORDERS
) -> dict[str, Any]:
    """A member's ``order_history``: favourite menus, preferred style, average, recent orders.

    Favourites and the preferred style count dinners (quantities) of orders
    not cancelled, most first, ties by code; the average is over those orders
    in whole won. ``recent_orders`` lists the newest orders, cancelled ones included.
    """
    counted = (Order.customer_id == user_id) & (Order.status != OrderStatus.CANCELLED.value)
    async with database.session() as session:
        favorites = await session.scalars(
            _most_ordered(OrderItem.menu_code, counted, FAVORITE_MENUS)
        )
        styles = await session.scalars(_most_ordered(OrderItem.style_code, counted, 1))
        average = await session.scalar(select(func.avg(Order.total)).where(counted))
        latest = await session.scalars(
            select(Order)
            .where(Order.customer_id == user_id)
            .order_by(Order.created_at.desc(), Order.id)
            .limit(recent)
            .options(selectinload(Order.items))
        )
        recent_orders = [_recent(order) for order in latest]
    return {
        "favorite_menus": list(favorites),
        "preferred_style": next(iter(styles), None),
        "average_order_amount": round(average or 0),
        "recent_orders": recent_orders,
    }


async def get_active_events(database: Database, now: datetime) -> list[dict[str, Any]]:
    """Promotions running at ``now`` (aware), ending soonest first.

    ``menu_codes`` empty means the promotion applies to every menu.
    """
    async with database.session() as session:
        running = await session.scalars(
            select(Promotion)
            .where(Promotion.starts_at <= now, Promotion.ends_at > now)
            .order_by(Promotion.ends_at, Promotion.id)
            .options(selectinload(Promotion.menus))
        )
        return [
            {
                "id": promotion.id,
                "title_ko": promotion.title_ko,
                "title_en": promotion.title_en,
                "description_ko": promotion.description_ko,
                "description_en": promotion.description_en,
                "discount_percent": promotion.discount_percent,
                "menu_codes": [menu.code for menu in promotion.menus],
                "starts_at": promotion.starts_at.isoformat(),
                "ends_at": promotion.ends_at.isoformat(),
            }
            for promotion in running
        ]


def _most_ordered(
    column: InstrumentedAttribute[str], counted: ColumnElement[bool], limit: int
) -> Select[str]:
    dinners = func.sum(OrderItem.quantity)
    return (
        select(column)
        .join(Order, Order.id == OrderItem.order_id)
        .where(counted)
        .group_by(column)
        .order_by(dinners.desc(), column)
        .limit(limit)
    )


def _recent(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "status": order.status,
        "items": [
            {
                "menu_code": item.menu_code,
                "style_code": item.style_code,
                "quantity": item.quantity,
                "customizations": item.customizations,
            }
            for item in order.items
        ],
        "total": order.total,
        "created_at": order.created_at.isoformat(),
    }
