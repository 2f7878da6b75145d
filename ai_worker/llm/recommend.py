"""Which dinner to recommend: the member's favourite, a running promotion, or the chef's pick."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bus.ai_messages import ActiveEvent, OrderHistory
from domain.catalog import Catalog, Menu
from domain.draft import OrderDraft


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A menu to suggest and why (``favorite``, ``event`` or ``default``)."""

    menu: Menu
    why: str
    style_code: str | None = None
    event: ActiveEvent | None = None


def recommendations(
    catalog: Catalog, history: OrderHistory, events: Sequence[ActiveEvent]
) -> list[Recommendation]:
    """Every menu in the order it is worth suggesting; the first is the recommendation."""
    ranked: list[Recommendation] = []
    preferred = history.preferred_style
    for code in history.favorite_menus:
        menu = catalog.find_menu(code)
        if menu is not None:
            style = preferred if preferred and menu.allowed_style(preferred) else None
            ranked.append(Recommendation(menu, "favorite", style))
    for event in sorted(events, key=lambda e: -e.discount_percent):
        for code in event.menu_codes:
            menu = catalog.find_menu(code)
            if menu is not None:
                ranked.append(Recommendation(menu, "event", event=event))
    ranked.extend(Recommendation(menu, "default") for menu in catalog.menus)
    unique: dict[str, Recommendation] = {}
    for item in ranked:
        unique.setdefault(item.menu.code, item)
    return list(unique.values())


def usual_order(catalog: Catalog, history: OrderHistory) -> OrderDraft | None:
    """The member's last order line (or favourite menu and style), if the catalog still has it."""
    for order in history.recent_orders:
        for item in order.items:
            draft = OrderDraft.known_to(catalog, item.model_dump())
            if draft.menu_code is not None:
                return draft
    favourites = [r for r in recommendations(catalog, history, ()) if r.why == "favorite"]
    if favourites:
        return OrderDraft(favourites[0].menu.code, favourites[0].style_code)
    return None
