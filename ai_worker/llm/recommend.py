"""Which dinner to recommend: the member's favourite, a running promotion, or the chef's pick."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.catalog import Catalog, Menu
from domain.draft import OrderDraft


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A menu to suggest and why (``favorite``, ``event`` or ``default``)."""

    menu: Menu
    why: str
    style_code: str | None = None
    event: Mapping[str, Any] | None = None


def recommendations(
    catalog: Catalog, history: Mapping[str, Any], events: Sequence[Mapping[str, Any]]
) -> list[Recommendation]:
    """Every menu in the order it is worth suggesting; the first is the recommendation."""
    ranked: list[Recommendation] = []
    preferred = history.get("preferred_style")
    for code in history.get("favorite_menus") or ():
        menu = catalog.find_menu(str(code))
        if menu is not None:
            style = (
                preferred if isinstance(preferred, str) and menu.allowed_style(preferred) else None
            )
            ranked.append(Recommendation(menu, "favorite", style))
    for event in sorted(events, key=lambda e: -_number(e.get("discount_percent"))):
        for code in event.get("menu_codes") or ():
            menu = catalog.find_menu(str(code))
            if menu is not None:
                ranked.append(Recommendation(menu, "event", event=event))
    ranked.extend(Recommendation(menu, "default") for menu in catalog.menus)
    unique: dict[str, Recommendation] = {}
    for item in ranked:
        unique.setdefault(item.menu.code, item)
    return list(unique.values())


def usual_order(catalog: Catalog, history: Mapping[str, Any]) -> OrderDraft | None:
    """The member's last order line (or favourite menu and style), if the catalog still has it."""
    for order in history.get("recent_orders") or ():
        items = order.get("items") if isinstance(order, Mapping) else None
        for item in items or ():
            draft = OrderDraft.known_to(catalog, item) if isinstance(item, Mapping) else None
            if draft is not None and draft.menu_code is not None:
                return draft
    favourites = [r for r in recommendations(catalog, history, ()) if r.why == "favorite"]
    if favourites:
        return OrderDraft(favourites[0].menu.code, favourites[0].style_code)
    return None


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
