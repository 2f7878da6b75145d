"""Request and response models of the orders API (docs/contract.md §2.4).

Prices are the server's: an item or order carrying ``price``, ``unit_price`` or
``total`` is refused (422) rather than silently ignored, so a client never
believes it chose a price.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.catalog import MAX_INGREDIENT_QUANTITY, MAX_QUANTITY
from domain.orders import OrderStatus
from quart_app.models.base import CODE_LENGTH, NO_CONTROL_CHARACTERS, USER_ID_LENGTH
from quart_app.models.media import IMAGE_ID_LENGTH
from quart_app.models.orders import SESSION_ID_LENGTH

MAX_ORDER_ITEMS = 20
MAX_CUSTOMIZATIONS = 20
MAX_LISTED_ORDERS = 200
DEFAULT_LISTED_ORDERS = 50

Code = Annotated[str, StringConstraints(min_length=1, max_length=CODE_LENGTH)]
UserId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=USER_ID_LENGTH, pattern=NO_CONTROL_CHARACTERS),
]
SessionId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SESSION_ID_LENGTH, pattern=NO_CONTROL_CHARACTERS),
]
ImageId = Annotated[
    str, StringConstraints(min_length=1, max_length=IMAGE_ID_LENGTH, pattern=r"^[A-Za-z0-9_-]+$")
]
IngredientUnits = Annotated[int, Field(strict=True, ge=0, le=MAX_INGREDIENT_QUANTITY)]


class OrderItemRequest(BaseModel):
    """One line as a customer asks for it; the server prices it."""

    model_config = ConfigDict(extra="forbid")

    menu_code: Code
    style_code: Code
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)] = 1
    customizations: Annotated[dict[Code, IngredientUnits], Field(max_length=MAX_CUSTOMIZATIONS)] = (
        Field(default_factory=dict)
    )
    """Ingredient code -> units per dinner, replacing the menu's default (0 removes it)."""
    image_id: ImageId | None = None
    """A cake picture of yours (``POST /api/customizations/generate-ai-image``)."""


class PlaceOrderRequest(BaseModel):
    """``{"items": [...]}`` or ``{"session_id": ...}``, exactly one of them."""

    model_config = ConfigDict(
        extra="forbid",
        # _one_source's rule, in the OpenAPI schema: exactly one of them is not null.
        json_schema_extra={
            "oneOf": [
                {"required": ["items"], "properties": {"items": {"type": "array"}}},
                {"required": ["session_id"], "properties": {"session_id": {"type": "string"}}},
            ]
        },
    )

    items: (
        Annotated[list[OrderItemRequest], Field(min_length=1, max_length=MAX_ORDER_ITEMS)] | None
    ) = None
    session_id: SessionId | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PlaceOrderRequest:
        if (self.items is None) == (self.session_id is None):
            raise ValueError("give either items or session_id")
        return self


class AssignRequest(BaseModel):
    """Assign a cook or a courier to an order."""

    model_config = ConfigDict(extra="forbid")

    staff_id: UserId
    role: Literal["cook", "delivery"]


class StatusRequest(BaseModel):
    """Move an order to ``status``."""

    model_config = ConfigDict(extra="forbid")

    status: OrderStatus


class OrderItemResponse(BaseModel):
    """One line of an order, with the prices the server computed."""

    menu_code: str
    style_code: str
    quantity: int
    customizations: dict[str, int]
    unit_price: int
    line_total: int
    image_id: str | None = None
    image_path: str | None = None
    """Where ``GET`` serves the line's cake picture."""


class OrderResponse(BaseModel):
    """An order as every endpoint, and every order signal, shows it.

    It never carries the conversation that placed it: a guest's ``session_id``
    is their only credential (it continues the conversation and mints their
    order token), and staff read every order.
    """

    order_id: str
    customer_id: str | None
    status: OrderStatus
    items: list[OrderItemResponse]
    total: int
    assigned_cook: str | None
    assigned_delivery: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class OrderList(BaseModel):
    """``GET /api/orders``: the newest orders first."""

    orders: list[OrderResponse]


class OrderListQuery(BaseModel):
    """How many of the newest orders to list."""

    limit: Annotated[int, Field(ge=1, le=MAX_LISTED_ORDERS)] = DEFAULT_LISTED_ORDERS


class FollowTokenRequest(BaseModel):
    """The conversation that placed the guest's order: holding its id proves it is theirs."""

    model_config = ConfigDict(extra="forbid")

    session_id: SessionId


class FollowToken(BaseModel):
    """An order token, and the ``auth`` frame fields to follow the order with it."""

    token: str
    user_id: str
    user_type: Literal["customer"] = "customer"
    expires_in: int
