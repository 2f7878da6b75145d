"""What the order and catalog services refuse, besides the domain's own errors.

Each is a :class:`~domain.errors.DomainError` (``message`` is fit for a user);
:mod:`quart_app.error_handlers` gives each its HTTP status and code.
"""

from __future__ import annotations

from domain.errors import CatalogError, DomainError


class OrderNotFound(DomainError):
    """No such order, or not one the caller may see (HTTP 404)."""


class OrderConflict(DomainError):
    """Someone else changed the order first; read it again (HTTP 409)."""


class IdempotencyConflict(DomainError):
    """The idempotency key (or conversation) already placed a different order (HTTP 409)."""


class UnknownStaff(DomainError):
    """The staff id names no user of the role to assign (HTTP 422)."""


class UnknownImage(CatalogError):
    """An order line's picture is not one the customer may put on it."""


class InvalidOrderItem(DomainError):
    """Item ``index`` of an order is refused by the catalog (HTTP 422)."""

    def __init__(self, index: int, cause: CatalogError) -> None:
        super().__init__(cause.message)
        self.index = index
        self.cause = cause

    @property
    def field(self) -> str:
        """The offending field, spelled like request validation errors (``items.0.style_code``)."""
        return f"items.{self.index}.{self.cause.field}"
