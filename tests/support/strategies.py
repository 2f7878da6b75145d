"""Hypothesis strategies for domain objects, Korean text included."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from domain import (
    MAX_INGREDIENT_QUANTITY,
    MAX_MESSAGES,
    MAX_QUANTITY,
    Catalog,
    ChatMessage,
    ConversationSession,
    Decision,
    Ingredient,
    Menu,
    OrderDraft,
    OrderStatus,
    Role,
    Stage,
    Style,
    TurnProposal,
)
from domain.conversation import MESSAGE_ROLES
from domain.stages import stage_supported

# Hangul syllables mixed with ASCII, the mix real conversations have.
text = st.text(
    alphabet=st.one_of(st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), st.characters()),
    max_size=40,
)
codes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
won = st.integers(min_value=0, max_value=500_000)

ingredients = st.builds(
    Ingredient,
    code=codes,
    name_ko=text,
    name_en=text,
    quantity=st.integers(0, MAX_INGREDIENT_QUANTITY),
    unit_price=won,
)
styles = st.builds(
    Style, code=codes, name_ko=text, name_en=text, price_delta=st.integers(-10_000, 50_000)
)
menus = st.builds(
    Menu,
    code=codes,
    name_ko=text,
    name_en=text,
    description_ko=text,
    description_en=text,
    price=won,
    ingredients=st.lists(ingredients, max_size=5, unique_by=lambda i: i.code).map(tuple),
    styles=st.lists(styles, max_size=4, unique_by=lambda s: s.code).map(tuple),
)
catalogs = st.lists(menus, max_size=5, unique_by=lambda m: m.code).map(
    lambda found: Catalog(tuple(found))
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)

roles = st.sampled_from(Role)
statuses = st.sampled_from(OrderStatus)
stages = st.sampled_from(Stage)
menu_codes = st.one_of(st.none(), st.sampled_from(["french", "english", "champagne", "sushi"]))
style_codes = st.one_of(st.none(), st.sampled_from(["simple", "grand", "deluxe", "royal"]))
ingredient_codes = st.sampled_from(["coffee", "wine", "steak", "bacon", "champagne", "truffle"])
quantities = st.integers(-3, MAX_QUANTITY + 3)

drafts = st.builds(
    OrderDraft,
    menu_code=st.one_of(st.none(), codes),
    style_code=st.one_of(st.none(), codes),
    quantity=st.integers(1, MAX_QUANTITY),
    customizations=st.dictionaries(codes, st.integers(0, MAX_INGREDIENT_QUANTITY), max_size=4),
)
messages = st.lists(
    st.builds(ChatMessage, role=st.sampled_from(MESSAGE_ROLES), content=text),
    max_size=MAX_MESSAGES,
)
times = st.floats(min_value=0, max_value=4e9, allow_nan=False)


@st.composite
def sessions(draw: st.DrawFn) -> ConversationSession:
    """Any session a real conversation could reach: its stage fits its draft."""
    draft = draw(drafts)
    stage = draw(st.sampled_from([s for s in Stage if stage_supported(s, draft)]))
    return ConversationSession(
        session_id=draw(text),
        user_id=draw(st.one_of(st.none(), text)),
        owner=draw(text),
        messages=draw(messages),
        context=draw(st.dictionaries(text, json_values, max_size=5)),
        order_state=draft,
        created_at=draw(times),
        last_activity=draw(times),
        stage=stage,
        order_id=draw(text.filter(bool)) if stage == Stage.COMPLETED else None,
    )


amounts = st.dictionaries(
    ingredient_codes, st.integers(-2, MAX_INGREDIENT_QUANTITY + 2), max_size=3
)
positions = st.integers(-1, 4)
proposals = st.builds(
    TurnProposal,
    menu_code=menu_codes,
    style_code=style_codes,
    quantity=st.one_of(st.none(), quantities),
    customizations=st.one_of(st.none(), amounts),
    menu_selection=st.one_of(st.none(), positions),
    style_selection=st.one_of(st.none(), positions),
    customization_overrides=st.one_of(st.none(), amounts),
    state=st.one_of(st.none(), st.sampled_from([*Stage, "dessert"])),
    state_decision=st.one_of(st.none(), st.sampled_from([*Decision, "maybe"])),
)
