"""Errors the domain raises; the HTTP layer maps each family to one status."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every broken domain rule; ``message`` is fit for a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidStageTransition(DomainError):
    """The conversation's stage machine refuses the move."""


class SessionClosed(DomainError):
    """The conversation has placed its order and takes no more changes."""


class IllegalOrderTransition(DomainError):
    """The order state machine refuses the step (HTTP 409)."""


class RoleNotAllowed(DomainError):
    """The caller's role may not take this step (HTTP 403)."""


class IncompleteOrder(DomainError):
    """Confirming an order that lacks a menu or a style."""


class FieldError(DomainError):
    """A domain error about one named input field (``field``, e.g. ``"style_code"``)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class MalformedData(FieldError):
    """Serialized data (a stored session, a catalog document) that cannot be read back."""


class CatalogError(FieldError):
    """An order line that the catalog refuses."""


class UnknownMenu(CatalogError):
    """No menu has that code or position."""


class UnknownStyle(CatalogError):
    """No menu offers a style with that code."""


class StyleNotAllowed(CatalogError):
    """The style exists but is not offered for the chosen menu."""


class UnknownIngredient(CatalogError):
    """The chosen menu has no ingredient with that code."""


class InvalidQuantity(CatalogError):
    """A dinner or ingredient quantity outside its allowed range."""
