"""Which dinner to recommend: the one that fits what the customer said (an occasion, the
party, a budget, what to avoid), then the member's favourite, a running promotion, or
the chef's pick. A promotion is one reason among these, never the answer to everything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ai_worker.llm import lexicon as lx
from ai_worker.llm.understanding import Wishes
from bus.ai_messages import ActiveEvent, OrderHistory
from domain.catalog import Catalog, Menu
from domain.draft import OrderDraft

OFFERED = 3
"""How many dinners a recommendation names: the one recommended and two more."""


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A menu to suggest and why (``favorite``, ``event`` or ``default``), and which of
    the customer's wishes it fits."""

    menu: Menu
    why: str
    style_code: str | None = None
    event: ActiveEvent | None = None
    fits: tuple[str, ...] = ()
    """``occasion``, ``people``, ``budget``, ``avoid``: the wishes this menu answers."""
    wishes: Wishes = field(default_factory=Wishes)


def recommendations(
    catalog: Catalog,
    history: OrderHistory,
    events: Sequence[ActiveEvent],
    wishes: Wishes | None = None,
) -> list[Recommendation]:
    """Every menu in the order it is worth suggesting; the first is the recommendation.

    Menus that fit more of ``wishes`` come first (one over the budget, or with what
    the customer avoids, last); among equals, favourite, promotion, catalog order.
    """
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
    if not wishes:
        return list(unique.values())
    fitted = [
        replace(item, fits=_fits(item.menu, wishes), wishes=wishes) for item in unique.values()
    ]
    return sorted(fitted, key=lambda item: -_score(item.menu, wishes))


def offers(
    catalog: Catalog,
    history: OrderHistory,
    events: Sequence[ActiveEvent],
    wishes: Wishes | None = None,
) -> list[Recommendation]:
    """The dinners offered: the recommendation and up to two more worth suggesting.

    Once the recommendation keeps to the budget and to what the customer avoids, the
    others offered keep to them too: "no alcohol" is never answered "or the French
    Dinner", which comes with wine.
    """
    first, *rest = recommendations(catalog, history, events, wishes)
    if wishes and not _refuses(first.menu, wishes):
        rest = [item for item in rest if not _refuses(item.menu, wishes)]
    return [first, *rest[: OFFERED - 1]]


def _refuses(menu: Menu, wishes: Wishes) -> bool:
    """Whether ``menu`` is over the budget or holds what the customer avoids."""
    over_budget = wishes.budget is not None and menu.price > wishes.budget
    return over_budget or _avoided(menu, wishes) > 0


def _avoided(menu: Menu, wishes: Wishes) -> int:
    """Units of what the customer avoids in one ``menu``."""
    codes = {code for kind in wishes.avoid for code in lx.AVOID_INGREDIENTS.get(kind, ())}
    return sum(item.quantity for item in menu.ingredients if item.code in codes)


def _fits(menu: Menu, wishes: Wishes) -> tuple[str, ...]:
    fits = {
        "occasion": menu.code in lx.OCCASION_MENUS.get(wishes.occasion or "", ()),
        "people": wishes.people is not None and lx.MENU_SERVES.get(menu.code, 1) == wishes.people,
        "budget": wishes.budget is not None and menu.price <= wishes.budget,
        "avoid": bool(wishes.avoid) and _avoided(menu, wishes) == 0,
    }
    return tuple(wish for wish, fit in fits.items() if fit)


def _score(menu: Menu, wishes: Wishes) -> int:
    over_budget = wishes.budget is not None and menu.price > wishes.budget
    fits = _fits(menu, wishes)
    return 3 * ("occasion" in fits) + ("people" in fits) - 10 * over_budget - _avoided(menu, wishes)


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
