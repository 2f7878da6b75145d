"""The domain's and the order services' refusals, answered in the contract's error shape.

``create_app`` calls :func:`register_domain_error_handlers`; any view or
service may then simply raise them.
"""

from __future__ import annotations

import re

from quart import Quart, Response

from domain.errors import CatalogError, IllegalOrderTransition, RoleNotAllowed
from quart_app.errors import INVALID_REQUEST, as_sentence, error_response
from quart_app.services.orders.errors import (
    IdempotencyConflict,
    InvalidOrderItem,
    OrderConflict,
    OrderNotFound,
    UnknownStaff,
)


def register_domain_error_handlers(app: Quart) -> None:
    """Map each refusal to its status and code (see CONTRACT section 2)."""

    @app.errorhandler(IllegalOrderTransition)
    async def _illegal(error: IllegalOrderTransition) -> Response:
        return error_response(409, "illegal_transition", as_sentence(error.message))

    @app.errorhandler(RoleNotAllowed)
    async def _forbidden(error: RoleNotAllowed) -> Response:
        return error_response(403, "forbidden", as_sentence(error.message))

    @app.errorhandler(CatalogError)
    async def _catalog(error: CatalogError) -> Response:
        return _invalid_field(error.field, error.message, _type_of(error))

    @app.errorhandler(InvalidOrderItem)
    async def _item(error: InvalidOrderItem) -> Response:
        return _invalid_field(error.field, error.message, _type_of(error.cause))

    @app.errorhandler(UnknownStaff)
    async def _staff(error: UnknownStaff) -> Response:
        return _invalid_field("staff_id", error.message, "unknown_staff")

    @app.errorhandler(OrderNotFound)
    async def _not_found(error: OrderNotFound) -> Response:
        return error_response(404, "not_found", as_sentence(error.message))

    @app.errorhandler(OrderConflict)
    async def _conflict(error: OrderConflict) -> Response:
        return error_response(409, "conflict", as_sentence(error.message))

    @app.errorhandler(IdempotencyConflict)
    async def _idempotency(error: IdempotencyConflict) -> Response:
        return error_response(409, "idempotency_conflict", as_sentence(error.message))


def _invalid_field(field: str, message: str, kind: str) -> Response:
    details = [{"field": field, "message": message, "type": kind}]
    return error_response(422, "validation_error", INVALID_REQUEST, details)


def _type_of(error: Exception) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()
