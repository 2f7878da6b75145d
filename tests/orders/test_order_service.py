"""The order service on both databases: pricing, idempotency, races, events after commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from typing import Any

import pytest
from blinker import NamedSignal
from quart import Quart
from sqlalchemy import delete, event, func, select

from domain.errors import IllegalOrderTransition
from domain.orders import OrderStatus, Role
from quart_app.database import Database
from quart_app.extensions import DATABASE
from quart_app.models import Menu, Order, User
from quart_app.schemas.orders import OrderItemRequest
from quart_app.services.auth.tokens import Principal
from quart_app.services.orders.errors import (
    IdempotencyConflict,
    InvalidOrderItem,
    OrderConflict,
    UnknownStaff,
)
from quart_app.services.orders.service import OrderService
from quart_app.services.signals import order_assigned, order_created, order_status_changed
from tests.support.databases import reads_order, recorded_statements, rendezvous
from tests.support.signals import Recorder

Record = Callable[[NamedSignal], Recorder]
FRENCH_GRAND = OrderItemRequest(
    menu_code="french", style_code="grand", quantity=2, customizations={"wine": 3, "salad": 0}
)
COOK = Principal("cook-1", Role.COOK)
MANAGER = Principal("manager-1", Role.MANAGER)
RACE_TIMEOUT = 30


async def _orders(app: Quart) -> int:
    async with app.extensions[DATABASE].session() as session:
        return int(await session.scalar(select(func.count()).select_from(Order)) or 0)


async def test_the_server_prices_every_line(order_service: OrderService) -> None:
    order = await order_service.place_order("new-customer", [FRENCH_GRAND])
    # 48,000 + 5,000 grand + 2 extra wines at 8,000; the removed salad is not refunded
    assert order.items[0].unit_price == 69_000
    assert order.items[0].line_total == order.total == 138_000
    assert (order.status, order.version, order.customer_id) == (
        OrderStatus.PENDING,
        1,
        "new-customer",
    )
    assert await order_service.get_order(order.order_id, COOK) == order


async def test_a_customer_is_created_on_their_first_order(
    data_app: Quart, order_service: OrderService
) -> None:
    await order_service.place_order("c-77", [FRENCH_GRAND])
    await order_service.place_order("c-77", [FRENCH_GRAND])
    async with data_app.extensions[DATABASE].session() as session:
        user = await session.get(User, "c-77")
    assert user is not None and user.role == "customer"


async def test_a_new_order_is_written_without_reading_on_postgresql_in_one_statement(
    data_app: Quart, order_service: OrderService
) -> None:
    database = data_app.extensions[DATABASE]
    compiled: list[bool] = []

    def note(*args: Any) -> None:
        compiled.append(args[4].cache_hit == args[4].dialect.CACHE_HIT)

    await order_service.place_order("c-first", [FRENCH_GRAND])  # the catalog, loaded
    placed = []
    for n in range(2):
        with recorded_statements(database) as seen:
            event.listen(database.engine.sync_engine, "before_cursor_execute", note)
            try:
                placed.append(await order_service.place_order(f"c-{n}", [FRENCH_GRAND] * 2))
            finally:
                event.remove(database.engine.sync_engine, "before_cursor_execute", note)
        statements = [" ".join(statement.split()[:3]) for statement in seen]
        # Neither the ORM's reads after its writes, nor a transaction on PostgreSQL: there
        # the user row, the order, its lines and the outbox row are one statement.
        if database.is_sqlite:
            assert statements == [
                "INSERT INTO users",
                "INSERT INTO orders",
                "INSERT INTO order_items",
                "INSERT INTO outbox_events",
            ]
        else:
            assert statements == ["WITH write_0 AS"]
    # The second order's statements came from the cache of compiled statements.
    assert compiled[-len(statements) :] == [True] * len(statements)
    for order in placed:
        assert await order_service.get_order(order.order_id, COOK) == order
        assert [item.quantity for item in order.items] == [2, 2]


async def test_a_guest_conversation_places_an_order_without_a_customer(
    order_service: OrderService,
) -> None:
    order = await order_service.place_order(None, [FRENCH_GRAND], session_id="s-1")
    assert order.customer_id is None
    again = await order_service.place_order(None, [FRENCH_GRAND], session_id="s-1")
    assert again.order_id == order.order_id
    with pytest.raises(ValueError, match="idempotency key needs a customer"):
        await order_service.place_order(None, [FRENCH_GRAND], idempotency_key="k")


async def test_a_refused_item_names_its_field_and_stores_nothing(
    data_app: Quart, order_service: OrderService, record: Record
) -> None:
    created = record(order_created)
    bad = OrderItemRequest(menu_code="champagne_feast", style_code="simple")
    with pytest.raises(InvalidOrderItem) as refused:
        await order_service.place_order("c-1", [FRENCH_GRAND, bad])
    assert refused.value.field == "items.1.style_code"
    assert await _orders(data_app) == 0
    assert created.calls == []


async def test_the_same_key_returns_the_same_order(
    data_app: Quart, order_service: OrderService
) -> None:
    first = await order_service.place_order("c-1", [FRENCH_GRAND], idempotency_key="k-1")
    again = await order_service.place_order("c-1", [FRENCH_GRAND], idempotency_key="k-1")
    other = await order_service.place_order("c-2", [FRENCH_GRAND], idempotency_key="k-1")
    assert again == first
    assert other.order_id != first.order_id
    with pytest.raises(IdempotencyConflict):
        changed = FRENCH_GRAND.model_copy(update={"quantity": 3})
        await order_service.place_order("c-1", [changed], idempotency_key="k-1")
    assert await _orders(data_app) == 2


async def test_concurrent_requests_with_one_key_place_one_order(
    data_app: Quart, order_service: OrderService, record: Record
) -> None:
    created = record(order_created)
    place = order_service.place_order("c-1", [FRENCH_GRAND], idempotency_key="retry")
    with rendezvous(data_app.extensions[DATABASE], reads_order):
        orders = await asyncio.wait_for(asyncio.gather(place, _same(order_service)), 30)
    assert orders[0] == orders[1]
    assert await _orders(data_app) == 1
    assert len(created.calls) == 1


def _same(service: OrderService) -> Any:
    return service.place_order("c-1", [FRENCH_GRAND], idempotency_key="retry")


async def test_of_two_cooks_accepting_at_once_one_wins(
    data_app: Quart, order_service: OrderService, record: Record
) -> None:
    order = await order_service.place_order("c-1", [FRENCH_GRAND])
    changed = record(order_status_changed)
    cooks = [Principal("cook-1", Role.COOK), Principal("cook-2", Role.COOK)]
    with rendezvous(data_app.extensions[DATABASE], reads_order):
        results = await asyncio.wait_for(
            asyncio.gather(
                *(
                    order_service.change_status(order.order_id, OrderStatus.ACCEPTED, cook)
                    for cook in cooks
                ),
                return_exceptions=True,
            ),
            RACE_TIMEOUT,
        )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and won[0].version == 2
    # The fresh order is already accepted: the loser's step is now illegal.
    assert len(lost) == 1 and isinstance(lost[0], IllegalOrderTransition)
    assert len(changed.calls) == 1


async def test_a_lost_race_whose_step_is_still_legal_is_a_conflict(
    data_app: Quart, order_service: OrderService
) -> None:
    order = await order_service.place_order("c-1", [FRENCH_GRAND])
    with rendezvous(data_app.extensions[DATABASE], reads_order):
        results = await asyncio.wait_for(
            asyncio.gather(
                order_service.change_status(order.order_id, OrderStatus.ACCEPTED, COOK),
                order_service.assign(order.order_id, "delivery-1", Role.DELIVERY),
                return_exceptions=True,
            ),
            RACE_TIMEOUT,
        )
    # Either step is still legal after the other: the loser must read again and retry.
    assert sum(isinstance(result, OrderConflict) for result in results) == 1
    fresh = await order_service.get_order(order.order_id, MANAGER)
    assert fresh.version == 2


async def test_events_carry_what_a_notification_needs(
    data_app: Quart, order_service: OrderService, record: Record
) -> None:
    created, assigned, changed = (
        record(order_created),
        record(order_assigned),
        record(order_status_changed),
    )
    order = await order_service.place_order("c-1", [FRENCH_GRAND])
    await order_service.assign(order.order_id, "cook-1", Role.COOK)
    accepted = await order_service.change_status(order.order_id, OrderStatus.ACCEPTED, COOK)
    assert created.calls == [(order_service, {"order": order.model_dump(mode="json")})]
    sender, kwargs = assigned.calls[0]
    assert (sender, kwargs["staff_id"], kwargs["role"]) == (order_service, "cook-1", "cook")
    assert kwargs["order"]["assigned_cook"] == "cook-1"
    assert changed.calls == [
        (order_service, {"order": accepted.model_dump(mode="json"), "previous_status": "pending"})
    ]


@pytest.fixture
async def other_connection(database_url: str) -> AsyncIterator[Database]:
    """A second engine on the test's database: it sees only what the service has committed."""
    database = Database(database_url)
    yield database
    await database.close()


async def test_every_event_is_sent_after_its_commit(
    data_app: Quart, order_service: OrderService, other_connection: Database
) -> None:
    committed: dict[str, tuple[str, int, str | None] | None] = {}

    def reader(name: str) -> Callable[..., Awaitable[None]]:
        async def read(_sender: Any, *, order: dict[str, Any], **_: Any) -> None:
            async with other_connection.session() as session:
                row = await session.get(Order, order["order_id"])
            committed[name] = (
                None if row is None else (row.status, row.version, row.assigned_cook_id)
            )

        return read

    with ExitStack() as stack:
        for signal in (order_created, order_assigned, order_status_changed):
            stack.enter_context(signal.connected_to(reader(signal.name), sender=order_service))
        order = await order_service.place_order("c-1", [FRENCH_GRAND])
        assert committed == {"order-created": ("pending", 1, None)}
        await order_service.assign(order.order_id, "cook-1", Role.COOK)
        assert committed["order-assigned"] == ("pending", 2, "cook-1")
        await order_service.change_status(order.order_id, OrderStatus.ACCEPTED, COOK)
        assert committed["order-status-changed"] == ("accepted", 3, "cook-1")


async def test_a_refused_or_failed_change_announces_nothing(
    data_app: Quart, order_service: OrderService, record: Record
) -> None:
    created, changed = record(order_created), record(order_status_changed)
    order = await order_service.place_order("c-1", [FRENCH_GRAND])
    with pytest.raises(IllegalOrderTransition):
        await order_service.change_status(order.order_id, OrderStatus.READY, COOK)
    # The cached catalog still offers a menu the database no longer has: the insert fails.
    async with data_app.extensions[DATABASE].session() as session, session.begin():
        await session.execute(delete(Menu).where(Menu.code == "custom_cake"))
    cake = OrderItemRequest(menu_code="custom_cake", style_code="simple")
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await order_service.place_order("c-1", [cake])
    assert len(created.calls) == 1
    assert changed.calls == []
    assert await _orders(data_app) == 1


async def test_a_failing_receiver_does_not_fail_the_change(
    data_app: Quart, order_service: OrderService, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("notifier down")

    order_created.connect(broken, sender=order_service)
    try:
        with caplog.at_level(logging.ERROR, logger="quart_app.services.signals"):
            order = await order_service.place_order("c-1", [FRENCH_GRAND])
    finally:
        order_created.disconnect(broken, sender=order_service)
    assert order.status == OrderStatus.PENDING
    assert "a receiver of order-created failed" in caplog.text


async def test_only_known_staff_of_that_role_are_assigned(order_service: OrderService) -> None:
    order = await order_service.place_order("c-1", [FRENCH_GRAND])
    with pytest.raises(UnknownStaff):
        await order_service.assign(order.order_id, "delivery-1", Role.COOK)
    with pytest.raises(UnknownStaff):
        await order_service.assign(order.order_id, "cook-9", Role.COOK)
    # Staff who have acted on an order are known from then on.
    await order_service.change_status(
        order.order_id, OrderStatus.ACCEPTED, Principal("cook-9", Role.COOK)
    )
    assigned = await order_service.assign(order.order_id, "cook-9", Role.COOK)
    assert assigned.assigned_cook == "cook-9"


async def test_a_known_user_acting_with_a_new_role_takes_that_role(
    order_service: OrderService,
) -> None:
    # The platform's auth service decides roles: yesterday's cook is today's courier.
    order = await order_service.place_order("c-1", [FRENCH_GRAND])
    await order_service.change_status(
        order.order_id, OrderStatus.ACCEPTED, Principal("u-5", Role.COOK)
    )
    await order_service.assign(order.order_id, "u-5", Role.COOK)
    await order_service.change_status(order.order_id, OrderStatus.COOKING, COOK)
    await order_service.change_status(order.order_id, OrderStatus.READY, COOK)
    await order_service.change_status(
        order.order_id, OrderStatus.DELIVERING, Principal("u-5", Role.DELIVERY)
    )
    with pytest.raises(UnknownStaff):
        await order_service.assign(order.order_id, "u-5", Role.COOK)
    assigned = await order_service.assign(order.order_id, "u-5", Role.DELIVERY)
    assert assigned.assigned_delivery == "u-5"
