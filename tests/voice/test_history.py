"""What the AI context learns about a member, and which promotions run when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quart import Quart

from bus.ai_messages import ActiveEvent, OrderHistory
from domain.orders import OrderStatus, Role
from quart_app.database import Database
from quart_app.extensions import DATABASE
from quart_app.models import Promotion
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.auth.tokens import Principal
from quart_app.services.orders.service import OrderService
from quart_app.services.voice.history import get_active_events, get_user_order_history


def _item(menu: str, style: str, quantity: int = 1) -> OrderItemRequest:
    return OrderItemRequest(menu_code=menu, style_code=style, quantity=quantity)


async def test_a_members_history_counts_dinners_of_orders_not_cancelled(
    data_app: Quart, order_service: OrderService
) -> None:
    await order_service.place_order("c-1", [_item("french", "grand", 2)])
    await order_service.place_order("c-1", [_item("english", "simple"), _item("french", "grand")])
    cancelled = await order_service.place_order("c-1", [_item("valentine", "deluxe", 5)])
    await order_service.change_status(
        cancelled.order_id, OrderStatus.CANCELLED, Principal("c-1", Role.CUSTOMER)
    )
    await order_service.place_order("c-2", [_item("valentine", "deluxe", 9)])

    history = await get_user_order_history(data_app.extensions[DATABASE], "c-1", recent=2)

    assert history["favorite_menus"] == ["french", "english"]
    assert history["preferred_style"] == "grand"
    # (2 x 53,000) and (42,000 + 53,000); the cancelled order does not count
    assert history["average_order_amount"] == round((106_000 + 95_000) / 2)
    recent = history["recent_orders"]
    assert recent[0]["order_id"] == cancelled.order_id
    assert len(recent) == 2
    assert recent[0]["status"] == "cancelled"
    assert recent[0]["items"] == [
        {"menu_code": "valentine", "style_code": "deluxe", "quantity": 5, "customizations": {}}
    ]
    # What the AI Server reads it as (the model both ends share) loses nothing.
    assert OrderHistory.model_validate(history).model_dump() == history


async def test_someone_without_orders_has_an_empty_history(database: Database) -> None:
    assert await get_user_order_history(database, "nobody") == {
        "favorite_menus": [],
        "preferred_style": None,
        "average_order_amount": 0,
        "recent_orders": [],
    }


async def test_an_event_runs_from_its_start_until_just_before_its_end(
    database: Database,
) -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    async with database.session() as session, session.begin():
        session.add(
            Promotion(
                title_ko="새해",
                title_en="New Year",
                description_ko="5%",
                discount_percent=5,
                starts_at=start,
                ends_at=start + timedelta(days=1),
            )
        )

    def titles(events: list[dict[str, object]]) -> list[object]:
        return [event["title_en"] for event in events]

    assert titles(await get_active_events(database, start - timedelta(seconds=1))) == []
    running = await get_active_events(database, start)
    assert titles(running) == ["New Year"]
    assert running[0]["menu_codes"] == []
    assert running[0]["ends_at"] == "2030-01-02T00:00:00+00:00"
    assert ActiveEvent.model_validate(running[0]).model_dump() == running[0]
    assert titles(await get_active_events(database, start + timedelta(days=1))) == []
