"""The pure domain of the voice & realtime service: no I/O, the clock injected.

Everything other layers use is exported here.
"""

from __future__ import annotations

from domain.catalog import (
    CURRENCY,
    MAX_INGREDIENT_QUANTITY,
    MAX_QUANTITY,
    Catalog,
    Ingredient,
    Menu,
    OrderLine,
    Style,
)
from domain.connections import Connection, ConnectionRegistry, ConnectionStats
from domain.conversation import (
    MAX_MESSAGES,
    ChatMessage,
    ConversationSession,
)
from domain.draft import OrderDraft
from domain.errors import (
    CatalogError,
    DomainError,
    FieldError,
    IllegalOrderTransition,
    IncompleteOrder,
    InvalidQuantity,
    InvalidStageTransition,
    MalformedData,
    RoleNotAllowed,
    SessionClosed,
    StyleNotAllowed,
    UnknownIngredient,
    UnknownMenu,
    UnknownStyle,
)
from domain.orders import (
    ALLOWED_STEPS,
    ASSIGNABLE_ROLES,
    ORDERING_ROLES,
    ROLES_FOR_TARGET,
    STAFF_ROLES,
    OrderStatus,
    Role,
    check_may_order,
    transition,
)
from domain.stages import STAGE_ORDER, Decision, Stage, check_stage_move
from domain.turns import IgnoredField, TurnOutcome, TurnProposal, apply_turn

__all__ = [
    "ALLOWED_STEPS",
    "ASSIGNABLE_ROLES",
    "CURRENCY",
    "MAX_INGREDIENT_QUANTITY",
    "MAX_MESSAGES",
    "MAX_QUANTITY",
    "ORDERING_ROLES",
    "ROLES_FOR_TARGET",
    "STAFF_ROLES",
    "STAGE_ORDER",
    "Catalog",
    "CatalogError",
    "ChatMessage",
    "Connection",
    "ConnectionRegistry",
    "ConnectionStats",
    "ConversationSession",
    "Decision",
    "DomainError",
    "FieldError",
    "IgnoredField",
    "IllegalOrderTransition",
    "IncompleteOrder",
    "Ingredient",
    "InvalidQuantity",
    "InvalidStageTransition",
    "MalformedData",
    "Menu",
    "OrderDraft",
    "OrderLine",
    "OrderStatus",
    "Role",
    "RoleNotAllowed",
    "SessionClosed",
    "Stage",
    "Style",
    "StyleNotAllowed",
    "TurnOutcome",
    "TurnProposal",
    "UnknownIngredient",
    "UnknownMenu",
    "UnknownStyle",
    "apply_turn",
    "check_may_order",
    "check_stage_move",
    "transition",
]
