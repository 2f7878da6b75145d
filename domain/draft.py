"""The order a conversation is putting together, before it is placed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.catalog import (
    MAX_INGREDIENT_QUANTITY,
    MAX_QUANTITY,
    Catalog,
    ingredient_quantity_allowed,
    quantity_allowed,
)
from domain.json_reader import Reader
from domain.language import Language


@dataclass(slots=True)
class OrderDraft:
    """What the customer has chosen so far (the ``order_state`` of ``docs/ai-messages.md``).

    ``customizations`` maps an ingredient code to the units wanted per dinner.
    """

    menu_code: str | None = None
    style_code: str | None = None
    quantity: int = 1
    customizations: dict[str, int] = field(default_factory=dict)
    image_id: str | None = None
    """The cake picture the order will carry (an id the service stored)."""

    @property
    def is_complete(self) -> bool:
        """Whether a menu and a style are chosen, enough to place the order."""
        return self.menu_code is not None and self.style_code is not None

    def to_dict(self) -> dict[str, Any]:
        """The ``order_state`` JSON object (``image_id`` only once there is a picture)."""
        state: dict[str, Any] = {
            "menu_code": self.menu_code,
            "style_code": self.style_code,
            "quantity": self.quantity,
            "customizations": dict(self.customizations),
        }
        if self.image_id is not None:
            state["image_id"] = self.image_id
        return state

    @classmethod
    def from_dict(cls, data: object, path: str = "order_state") -> OrderDraft:
        """Read an ``order_state`` object, or raise :class:`~domain.errors.MalformedData`."""
        reader = Reader(data, path)
        return cls(
            menu_code=reader.optional_text("menu_code"),
            style_code=reader.optional_text("style_code"),
            quantity=reader.integer("quantity", minimum=1, maximum=MAX_QUANTITY),
            customizations=reader.int_map(
                "customizations", minimum=0, maximum=MAX_INGREDIENT_QUANTITY
            ),
            # Sessions saved before pictures existed have no image_id.
            image_id=reader.optional_text("image_id") if reader.has("image_id") else None,
        )

    @classmethod
    def known_to(cls, catalog: Catalog, state: Mapping[str, Any]) -> OrderDraft:
        """An ``order_state``-shaped mapping as ``catalog`` knows it now: a menu it
        no longer has, a style or ingredient the menu lacks, a number out of
        range or of the wrong type are left out (quantity 1 in place of a bad one)."""
        menu = catalog.find_menu(str(state.get("menu_code") or ""))
        style = state.get("style_code")
        quantity = state.get("quantity")
        customizations = state.get("customizations")
        if not isinstance(customizations, Mapping):
            customizations = {}
        ingredients = {i.code for i in menu.ingredients} if menu else set()
        return cls(
            menu.code if menu else None,
            style if menu and isinstance(style, str) and menu.allowed_style(style) else None,
            quantity if quantity_allowed(quantity) else 1,
            {
                code: amount
                for code, amount in customizations.items()
                if code in ingredients and ingredient_quantity_allowed(amount)
            },
        )

    def summary(self, catalog: Catalog | None = None, language: Language = "en") -> str:
        """Human-readable, e.g. ``"French Dinner, Grand, x2, wine 2"`` or, in Korean,
        ``"프렌치 디너, 그랜드, 2개, 와인 2"``.

        With a ``catalog``, menus, styles and ingredients go by their names in
        ``language``; otherwise (or for a code the catalog lacks) by their codes.
        """
        words = _SUMMARY_WORDS[language]
        if self.menu_code is None:
            return words["nothing"]
        menu = catalog.find_menu(self.menu_code) if catalog else None
        style = menu.allowed_style(self.style_code) if menu and self.style_code else None
        ingredient_names = {i.code: i.name_in(language) for i in menu.ingredients} if menu else {}
        parts = [
            menu.name_in(language) if menu else self.menu_code,
            style.name_in(language) if style else (self.style_code or words["no_style"]),
            words["quantity"].format(self.quantity),
        ]
        parts += [
            f"{ingredient_names.get(code, code)} {amount}"
            for code, amount in self.customizations.items()
        ]
        return ", ".join(parts)


_SUMMARY_WORDS: dict[Language, dict[str, str]] = {
    "en": {"nothing": "nothing chosen yet", "no_style": "no style yet", "quantity": "x{}"},
    "ko": {"nothing": "아직 고른 메뉴 없음", "no_style": "스타일 미정", "quantity": "{}개"},
}
