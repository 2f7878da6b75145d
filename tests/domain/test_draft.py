from __future__ import annotations

from typing import Any

import pytest

from domain import Catalog, OrderDraft


def test_a_draft_the_catalog_knows_is_kept_whole(catalog: Catalog) -> None:
    state = {
        "menu_code": "french",
        "style_code": "grand",
        "quantity": 20,
        "customizations": {"wine": 10, "steak": 0},
    }
    assert OrderDraft.known_to(catalog, state) == OrderDraft(
        "french", "grand", 20, state["customizations"]
    )


@pytest.mark.parametrize(
    ("state", "known"),
    [
        ({"menu_code": "royal", "style_code": "grand", "quantity": 2}, OrderDraft(quantity=2)),
        ({"menu_code": "champagne", "style_code": "simple"}, OrderDraft("champagne")),
        ({"menu_code": "french", "quantity": 21}, OrderDraft("french")),
        ({"menu_code": "french", "quantity": True}, OrderDraft("french")),
        ({"menu_code": "french", "customizations": {"bacon": 1}}, OrderDraft("french")),
        ({"menu_code": "french", "customizations": {"wine": 11}}, OrderDraft("french")),
        ({"menu_code": "french", "customizations": ["wine"]}, OrderDraft("french")),
        ({}, OrderDraft()),
    ],
)
def test_what_the_catalog_does_not_know_is_left_out(
    catalog: Catalog, state: dict[str, Any], known: OrderDraft
) -> None:
    assert OrderDraft.known_to(catalog, state) == known
