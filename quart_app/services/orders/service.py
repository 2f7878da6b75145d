"""Placing orders and moving them along; each change commits with its notifications."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, Protocol, cast

from blinker import NamedSignal
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Insert

from domain.catalog import Catalog, OrderLine
from domain.errors import CatalogError, IllegalOrderTransition
from domain.orders import ALLOWED_STEPS, OrderStatus, Role, transition
from quart_app.database import Database
from quart_app.models import Order, OrderItem, User, utc_now
from quart_app.models.base import UtcDateTime
from quart_app.models.orders import is_order_id, new_order_id
from quart_app.schemas.orders import OrderItemResponse, OrderResponse
from quart_app.services.auth.tokens import Principal, is_self_or_staff
from quart_app.services.media.store import StoredImage
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.errors import (
    IdempotencyConflict,
    InvalidOrderItem,
    OrderConflict,
    OrderNotFound,
    UnknownStaff,
)
from quart_app.services.orders.images import order_pictures, picture_owners
from quart_app.services.orders.outbox import Outbox, Written
from quart_app.services.orders.users import ensure_user, user_upsert
from quart_app.services.realtime.order_events import (
    assigned_notice,
    created_notice,
    status_changed_notice,
)
from quart_app.services.signals import (
    announce,
    order_assigned,
    order_created,
    order_status_changed,
)

_ORDERS = cast(Table, Order.__table__)
_ORDER_ITEMS = cast(Table, OrderItem.__table__)


@functools.lru_cache(maxsize=128)
def _placement(outbox_insert: Insert, *, customer: bool, lines: int) -> Insert:
    """A new order in one PostgreSQL statement: its customer's user row unless it
    exists (parameters ``customer_*``), the order (``order_*``), its lines
    (``line<n>_*``, one insert each: several VALUES rows in one are compiled again
    for every statement) and ``outbox_insert``, which returns the outbox row's id and
    event id. Built once per shape, so SQLAlchemy computes its cache key once."""
    writes = []
    if customer:
        # A member's voice conversation may be a staff member's: the role their
        # token had then is not known here.
        user = {
            "id": bindparam("customer_id"),
            "display_name": bindparam("customer_id"),
            "role": bindparam("customer_role"),
            "created_at": bindparam("customer_created_at", type_=UtcDateTime()),
        }
        writes.append(user_upsert("postgresql", user, role_from_token=False))
    writes.append(insert(_ORDERS).values(_bound(_ORDERS, "order_")))
    writes.extend(
        insert(_ORDER_ITEMS).values(_bound(_ORDER_ITEMS, f"line{n}_")) for n in range(lines)
    )
    return outbox_insert.add_cte(*(write.cte(f"write_{n}") for n, write in enumerate(writes)))


def _bound(table: Table, prefix: str) -> dict[str, Any]:
    """Every column of ``table`` as a bound parameter named ``prefix`` and its name."""
    return {
        column.name: bindparam(f"{prefix}{column.name}", type_=column.type) for column in table.c
    }


class ChosenItem(Protocol):
    """An order line as chosen, before the server prices it (:class:`ChosenLine` fits)."""

    @property
    def menu_code(self) -> str: ...
    @property
    def style_code(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def customizations(self) -> Mapping[str, int]: ...
    @property
    def image_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ChosenLine:
    """A :class:`ChosenItem` made by the service itself (a conversation's draft)."""

    menu_code: str
    style_code: str
    quantity: int
    customizations: Mapping[str, int]
    image_id: str | None = None


class OrderService:
    """The orders of the service: every write is one transaction, then one event.

    The transaction also writes the change's notifications to the outbox, so
    they are published even if the bus is down at that moment; the blinker
    signal (:mod:`quart_app.services.signals`, sent by this service) follows
    the commit, in this process.

    Status changes and assignments are optimistic: the ``version`` column makes
    the second of two concurrent writers fail, and it gets :class:`OrderConflict`
    (or the domain's refusal, if the order's new state forbids its step).
    """

    def __init__(
        self,
        database: Database,
        catalog: CatalogService,
        *,
        outbox: Outbox,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._outbox = outbox
        self._database = database
        self._catalog = catalog
        self._clock = clock

    async def place_order(
        self,
        customer_id: str | None,
        items: Sequence[ChosenItem],
        *,
        idempotency_key: str | None = None,
        session_id: str | None = None,
    ) -> OrderResponse:
        """Price ``items`` with the current catalog and place a ``pending`` order.

        ``customer_id`` ``None`` is a guest (a voice conversation); a member's
        user row is created on their first order. The same ``idempotency_key``
        of the same customer, or the same ``session_id``, returns the order it
        placed before, unless that order was placed from different items:
        :class:`IdempotencyConflict`. Refused items raise :class:`InvalidOrderItem`.
        """
        if idempotency_key is not None and customer_id is None:
            raise ValueError("an idempotency key needs a customer to belong to")
        lines = price_items(await self._catalog.get_catalog(), items)
        pictures: list[StoredImage | None] = [None] * len(items)
        if any(item.image_id is not None for item in items):
            async with self._database.session() as session:
                owners = picture_owners(customer_id, session_id)
                pictures = await order_pictures(session, items, owners)
        fingerprint = _fingerprint(customer_id, lines, pictures, session_id)
        previous = await self._find_previous(customer_id, idempotency_key, session_id)
        if previous is not None:
            return _replay(previous, fingerprint)
        now = self._clock()
        placed = OrderResponse(
            order_id=new_order_id(),
            customer_id=customer_id,
            status=OrderStatus.PENDING,
            items=[
                _item_response(line, picture) for line, picture in zip(lines, pictures, strict=True)
            ],
            total=sum(line.line_total for line in lines),
            assigned_cook=None,
            assigned_delivery=None,
            created_at=now,
            updated_at=now,
            version=1,  # the ORM's first version_id_col value, as its changes expect
        )
        row = {
            "id": placed.order_id,
            "customer_id": customer_id,
            "status": placed.status.value,
            "total": placed.total,
            "session_id": session_id,
            "idempotency_key": idempotency_key,
            "request_fingerprint": fingerprint,
            "created_at": now,
            "updated_at": now,
            "version": placed.version,
            "assigned_cook_id": None,
            "assigned_delivery_id": None,
        }
        try:
            written = await self._insert_order(row, placed)
        except IntegrityError:
            # A concurrent request with the same key or conversation won the insert.
            previous = await self._find_previous(customer_id, idempotency_key, session_id)
            if previous is None:
                raise
            return _replay(previous, fingerprint)
        await self._announce(written, order_created, order=placed)
        return placed

    async def _insert_order(self, row: dict[str, Any], placed: OrderResponse) -> Written:
        """Write a new order, its lines, its customer's user row (unless it exists) and
        its ``order.created`` row in the outbox, in one transaction.

        Core statements, not the ORM's unit of work (a third of a placement's CPU). On
        PostgreSQL they are one statement (data-modifying CTEs), which commits alone:
        one round trip after the checkout's, where a transaction takes seven.
        """
        lines = [
            {"order_id": placed.order_id, "position": position, **item.model_dump()}
            for position, item in enumerate(placed.items)
        ]
        notice = created_notice(_json(placed))
        asked = self._outbox.ask()  # a new order: its id comes beside the checkout
        if self._database.is_sqlite:
            async with self._database.session() as session, session.begin():
                if placed.customer_id is not None:
                    # A member's voice conversation may be a staff member's: the role
                    # their token had then is not known here.
                    await ensure_user(
                        session, placed.customer_id, Role.CUSTOMER, role_from_token=False
                    )
                await session.execute(insert(_ORDERS), row)
                if lines:
                    await session.execute(insert(_ORDER_ITEMS), lines)
                return await self._outbox.add(
                    session, placed.order_id, notice, first_of_order=True, asked=asked
                )
        params: dict[str, Any] = {f"order_{name}": value for name, value in row.items()}
        for n, line in enumerate(lines):
            params.update({f"line{n}_{name}": value for name, value in line.items()})
        if placed.customer_id is not None:
            params.update(
                customer_id=placed.customer_id,
                customer_role=Role.CUSTOMER.value,
                customer_created_at=row["created_at"],
            )
        async with self._database.engine.connect() as connection:
            alone = await connection.execution_options(isolation_level="AUTOCOMMIT")
            outbox_row = await self._outbox.row(
                placed.order_id, notice, first_of_order=True, asked=asked
            )
            statement = _placement(
                outbox_row.insert, customer=placed.customer_id is not None, lines=len(lines)
            )
            result = await alone.execute(statement, {**params, **outbox_row.params})
            return outbox_row.written(*result.one())

    async def get_order(self, order_id: str, viewer: Principal) -> OrderResponse:
        """The order, if ``viewer`` is staff or its customer; else :class:`OrderNotFound`."""
        async with self._database.session() as session:
            return order_response(await _visible_order(session, order_id, viewer))

    async def list_orders(self, limit: int) -> list[OrderResponse]:
        """The ``limit`` newest orders, newest first (for staff)."""
        query = select(Order).order_by(Order.created_at.desc(), Order.id).limit(limit)
        async with self._database.session() as session:
            return [order_response(order) for order in await session.scalars(query)]

    async def check_follower(self, order_id: str, session_id: str) -> None:
        """:class:`OrderNotFound` unless ``order_id`` is a guest's order placed by ``session_id``.

        The conversation's id is the guest's proof: only they (and staff) hold it.
        """
        async with self._database.session() as session:
            order = await _order(session, order_id)
        placed_by = order.session_id or ""
        if order.customer_id is not None or not hmac.compare_digest(placed_by, session_id):
            raise OrderNotFound(f"there is no guest order {order_id!r} of that conversation")

    async def change_status(
        self, order_id: str, target: OrderStatus, actor: Principal
    ) -> OrderResponse:
        """Move the order to ``target`` as ``domain.orders.transition`` allows ``actor``."""
        try:
            async with self._database.session() as session, session.begin():
                order = await _visible_order(session, order_id, actor)
                previous = OrderStatus(order.status)
                order.status = _step(order, target, actor).value
                order.updated_at = self._clock()
                await session.flush()  # the versioned UPDATE first: it decides a race
                asked = self._outbox.ask()  # the order's row is locked now
                if actor.is_staff:  # staff become known (assignable) by acting
                    await ensure_user(session, actor.user_id, actor.role, role_from_token=True)
                changed = order_response(order)
                notice = status_changed_notice(_json(changed), previous.value)
                written = await self._outbox.add(session, order.id, notice, asked=asked)
        except StaleDataError:
            await self._explain_lost_race(order_id, lambda fresh: _step(fresh, target, actor))
        await self._announce(
            written, order_status_changed, order=changed, previous_status=previous.value
        )
        return changed

    async def assign(self, order_id: str, staff_id: str, role: Role) -> OrderResponse:
        """Make ``staff_id`` the order's cook or courier (``role``); a manager's call.

        :class:`UnknownStaff` unless ``staff_id`` is a known user of ``role``;
        :class:`IllegalOrderTransition` for an order that is delivered or cancelled.
        """
        try:
            async with self._database.session() as session, session.begin():
                order = await _order(session, order_id)
                _check_assignable(order)
                staff = await session.get(User, staff_id)
                if staff is None or staff.role != role.value:
                    raise UnknownStaff(f"there is no {role.value} with id {staff_id!r}")
                if role is Role.COOK:
                    order.assigned_cook_id = staff_id
                else:
                    order.assigned_delivery_id = staff_id
                order.updated_at = self._clock()
                await session.flush()  # the versioned UPDATE first: it decides a race
                assigned = order_response(order)
                written = await self._outbox.add(
                    session, order.id, assigned_notice(_json(assigned), staff_id)
                )
        except StaleDataError:
            await self._explain_lost_race(order_id, _check_assignable)
        await self._announce(
            written, order_assigned, order=assigned, staff_id=staff_id, role=role.value
        )
        return assigned

    async def _find_previous(
        self, customer_id: str | None, idempotency_key: str | None, session_id: str | None
    ) -> Order | None:
        if idempotency_key is None and session_id is None:
            return None
        query = select(Order)
        if idempotency_key is not None:
            query = query.where(
                Order.customer_id == customer_id, Order.idempotency_key == idempotency_key
            )
        else:
            query = query.where(Order.session_id == session_id)
        async with self._database.session() as session:
            return cast("Order | None", await session.scalar(query))

    async def _explain_lost_race(self, order_id: str, check: Callable[[Order], object]) -> NoReturn:
        """After losing a race, raise the domain's refusal if the fresh order has one."""
        async with self._database.session() as session:
            check(await _order(session, order_id))
        raise OrderConflict("the order changed meanwhile; read it again and retry")

    async def _announce(
        self, written: Written, signal: NamedSignal, order: OrderResponse, **kwargs: Any
    ) -> None:
        self._outbox.committed(written)
        await announce(signal, self, order=_json(order), **kwargs)


def price_items(catalog: Catalog, items: Sequence[ChosenItem]) -> list[OrderLine]:
    """Validate and price every item; :class:`InvalidOrderItem` names the first refused one."""
    lines = []
    for index, item in enumerate(items):
        try:
            lines.append(
                catalog.validate_item(
                    item.menu_code, item.style_code, item.quantity, item.customizations
                )
            )
        except CatalogError as error:
            raise InvalidOrderItem(index, error) from None
    return lines


def order_response(order: Order) -> OrderResponse:
    """The API's view of an order row (its items loaded)."""
    return OrderResponse(
        order_id=order.id,
        customer_id=order.customer_id,
        status=OrderStatus(order.status),
        items=[
            OrderItemResponse(
                menu_code=item.menu_code,
                style_code=item.style_code,
                quantity=item.quantity,
                customizations=item.customizations,
                unit_price=item.unit_price,
                line_total=item.line_total,
                image_id=item.image_id,
                image_path=item.image_path,
            )
            for item in order.items
        ],
        total=order.total,
        assigned_cook=order.assigned_cook_id,
        assigned_delivery=order.assigned_delivery_id,
        created_at=order.created_at,
        updated_at=order.updated_at,
        version=order.version,
    )


async def _order(session: AsyncSession, order_id: str) -> Order:
    # An id of another form cannot exist; it never reaches the database (NUL there is a 500).
    order = await session.get(Order, order_id) if is_order_id(order_id) else None
    if order is None:
        raise OrderNotFound(f"there is no order {order_id!r}")
    return order


async def _visible_order(session: AsyncSession, order_id: str, viewer: Principal) -> Order:
    # Another customer's order answers 404 like a missing one: ids are not disclosed.
    order = await _order(session, order_id)
    if not (is_self_or_staff(viewer, order.customer_id) or viewer.order_id == order.id):
        raise OrderNotFound(f"there is no order {order_id!r}")
    return order


def _step(order: Order, target: OrderStatus, actor: Principal) -> OrderStatus:
    return transition(
        OrderStatus(order.status),
        target,
        role=actor.role,
        is_own_order=order.customer_id == actor.user_id,
    )


def _check_assignable(order: Order) -> None:
    status = OrderStatus(order.status)
    if not ALLOWED_STEPS[status]:
        raise IllegalOrderTransition(f"a {status} order takes no more assignments")


def _item_response(line: OrderLine, picture: StoredImage | None) -> OrderItemResponse:
    return OrderItemResponse(
        menu_code=line.menu_code,
        style_code=line.style_code,
        quantity=line.quantity,
        customizations=dict(line.customizations),
        unit_price=line.unit_price,
        line_total=line.line_total,
        image_id=None if picture is None else picture.image_id,
        image_path=None if picture is None else picture.path,
    )


def _fingerprint(
    customer_id: str | None,
    lines: Sequence[OrderLine],
    pictures: Sequence[StoredImage | None],
    session_id: str | None,
) -> str:
    chosen: list[list[object]] = [
        [line.menu_code, line.style_code, line.quantity, sorted(line.customizations.items())]
        for line in lines
    ]
    for line_chosen, picture in zip(chosen, pictures, strict=True):
        if picture is not None:  # (orders placed before pictures keep their fingerprint)
            line_chosen.append(picture.image_id)
    document = json.dumps([customer_id, session_id, chosen], ensure_ascii=False)
    return hashlib.sha256(document.encode()).hexdigest()


def _json(order: OrderResponse) -> dict[str, Any]:
    return order.model_dump(mode="json")


def _replay(previous: Order, fingerprint: str) -> OrderResponse:
    if previous.request_fingerprint != fingerprint:
        raise IdempotencyConflict("this key already placed an order with different items")
    return order_response(previous)
