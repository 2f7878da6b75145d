from __future__ import annotations

import pytest

from domain import (
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

CATALOG_ERRORS = [UnknownMenu, UnknownStyle, StyleNotAllowed, UnknownIngredient, InvalidQuantity]
PLAIN_ERRORS = [
    InvalidStageTransition,
    IllegalOrderTransition,
    RoleNotAllowed,
    IncompleteOrder,
    SessionClosed,
]


@pytest.mark.parametrize("error", PLAIN_ERRORS)
def test_domain_errors_carry_a_message(error: type[DomainError]) -> None:
    raised = error("no way")
    assert isinstance(raised, DomainError)
    assert raised.message == str(raised) == "no way"


@pytest.mark.parametrize("error", [*CATALOG_ERRORS, MalformedData])
def test_field_errors_name_the_field(error: type[FieldError]) -> None:
    raised = error("bad style", field="style_code")
    assert isinstance(raised, FieldError)
    assert (raised.message, raised.field) == ("bad style", "style_code")


@pytest.mark.parametrize("error", CATALOG_ERRORS)
def test_catalog_errors_share_a_base(error: type[CatalogError]) -> None:
    assert issubclass(error, CatalogError)


@pytest.mark.parametrize("error", [*CATALOG_ERRORS, *PLAIN_ERRORS, MalformedData])
def test_every_error_is_documented(error: type[DomainError]) -> None:
    assert error.__doc__
