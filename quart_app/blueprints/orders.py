"""Orders API (docs/contract.md §2.4): place, read, assign, move along.

- ``POST /api/orders``: customers only. From ``items``, priced by the server;
  an ``Idempotency-Key`` header (1..200 visible ASCII characters) makes a
  retry return the order it placed (201, same body) and the same key with
  other items 409 ``idempotency_conflict``. From ``session_id``, the order a
  conversation has confirmed, placed by the voice service; the conversation
  itself makes that idempotent.
- ``GET /api/orders``: staff; the newest ``limit`` (default 50) orders.
- ``GET /api/orders/{id}``: staff, or the order's customer (or the holder of
  its order token); another customer gets 404, as for an order that does not
  exist (so does an id that is not of the form the service generates, on every route).
- ``POST /api/orders/{id}/follow-token``: a guest proves with ``session_id``
  (the conversation that placed it) that the order is theirs, and gets an
  order token to read it and follow it over the WebSocket.
- ``POST /api/orders/{id}/assign``: managers; ``staff_id`` must be a known
  user of that role (seeded, or staff who have acted on an order), else 422.
- ``POST /api/orders/{id}/status``: as ``domain.orders.transition`` allows the
  caller's role; a cook or courier need not be the one assigned.
"""

from __future__ import annotations

from typing import cast

from quart import Blueprint, request
from quart_schema import validate_querystring, validate_request, validate_response

from domain.orders import ORDERING_ROLES, Role
from quart_app.auth import (
    accepts_order_tokens,
    require_manager,
    require_principal,
    require_roles,
    require_staff,
)
from quart_app.errors import ApiError
from quart_app.extensions import get_order_service, get_token_keys, get_voice
from quart_app.models.orders import IDEMPOTENCY_KEY_LENGTH
from quart_app.schemas.orders import (
    AssignRequest,
    FollowToken,
    FollowTokenRequest,
    OrderList,
    OrderListQuery,
    OrderResponse,
    PlaceOrderRequest,
    StatusRequest,
)
from quart_app.services.auth.tokens import order_follower_id

bp = Blueprint("orders", __name__, url_prefix="/api/orders")

ORDER_TOKEN_TTL = 24 * 3600
"""How long a guest can follow their order: longer than any delivery."""


@bp.post("")
@require_roles(*ORDERING_ROLES)
@validate_request(PlaceOrderRequest)
@validate_response(OrderResponse, 201)
async def place_order(data: PlaceOrderRequest) -> tuple[OrderResponse, int]:
    """Place an order for the calling customer."""
    principal = require_principal()
    service = get_order_service()
    if data.items is not None:
        order = await service.place_order(
            principal.user_id, data.items, idempotency_key=_idempotency_key()
        )
        return order, 201
    session_id = cast("str", data.session_id)  # the model requires items or session_id
    order_id = await get_voice().conversations.place_order_from_session(
        session_id, principal.user_id
    )
    return await service.get_order(order_id, principal), 201


@bp.get("")
@require_staff
@validate_querystring(OrderListQuery)
@validate_response(OrderList)
async def list_orders(query_args: OrderListQuery) -> OrderList:
    """The newest orders first, for staff boards."""
    return OrderList(orders=await get_order_service().list_orders(query_args.limit))


@bp.get("/<order_id>")
@accepts_order_tokens
@require_roles()
@validate_response(OrderResponse)
async def get_order(order_id: str) -> OrderResponse:
    """One order, for staff or its customer."""
    return await get_order_service().get_order(order_id, require_principal())


@bp.post("/<order_id>/follow-token")
@validate_request(FollowTokenRequest)
@validate_response(FollowToken)
async def follow_token(order_id: str, data: FollowTokenRequest) -> FollowToken:
    """An order token for the guest whose conversation placed the order (404 otherwise)."""
    await get_order_service().check_follower(order_id, data.session_id)
    return FollowToken(
        token=get_token_keys().mint_order(order_id, ttl=ORDER_TOKEN_TTL),
        user_id=order_follower_id(order_id),
        expires_in=ORDER_TOKEN_TTL,
    )


@bp.post("/<order_id>/assign")
@require_manager
@validate_request(AssignRequest)
@validate_response(OrderResponse)
async def assign(order_id: str, data: AssignRequest) -> OrderResponse:
    """Assign a cook or a courier to the order."""
    return await get_order_service().assign(order_id, data.staff_id, Role(data.role))


@bp.post("/<order_id>/status")
@require_roles()
@validate_request(StatusRequest)
@validate_response(OrderResponse)
async def change_status(order_id: str, data: StatusRequest) -> OrderResponse:
    """Move the order to another status."""
    return await get_order_service().change_status(order_id, data.status, require_principal())


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_LENGTH or not all(" " < c <= "~" for c in key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_LENGTH} visible ASCII characters.",
        )
    return key
