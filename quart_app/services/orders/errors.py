"""What the order and catalog services refuse, besides the domain's own errors."""

from __future__ import annotations

from domain.errors import CatalogError


class ServiceError(Exception):
    """Base class of the services' refusals; ``message`` is fit for a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OrderNotFound(ServiceError):
    """No such order, or not one the caller may see (HTTP 404)."""


class OrderConflict(ServiceError):
    """Someone else changed the order first; read it again (HTTP 409)."""


class IdempotencyConflict(ServiceError):
    """The idempotency key (or conversation) already placed a different order (HTTP 409)."""


class UnknownStaff(ServiceError):
    """The staff id names no user of the role to assign (HTTP 422)."""


class InvalidOrderItem(ServiceError):
    """Item ``index`` of an order is refused by the catalog (HTTP 422)."""

    def __init__(self, index: int, cause: CatalogError) -> None:
        super().__init__(cause.message)
        self.index = index
        self.cause = cause

    @property
    def field(self) -> str:
        """The offending field, spelled like request validation errors (``items.0.style_code``)."""
        return f"items.{self.index}.{self.cause.field}"
