"""Applying one AI turn to a conversation: the LLM's answer is untrusted input.

:func:`apply_turn` takes what the catalog and the stage rules allow from a
:class:`TurnProposal`, ignores the rest, and says what it ignored and why, so
that the assistant can ask again. It never raises on a bad proposal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from domain.catalog import Catalog, Menu, Style, check_quantity
from domain.conversation import ConversationSession
from domain.draft import OrderDraft
from domain.errors import CatalogError, InvalidStageTransition
from domain.stages import STAGE_ORDER, Decision, Stage, movement, next_stage, previous_stage

IgnoredField = tuple[str, str]
"""A proposed field that was not applied, and why: ``("style_code", "...")``."""


@dataclass(frozen=True, slots=True)
class TurnProposal:
    """What the AI proposes in one turn; types checked, values not yet.

    Codes and positions (``menu_selection``, ``style_selection``, 0-based)
    name the same choices; a valid code wins over a position. ``state`` and
    ``state_decision`` are raw strings so that unknown values can be reported.
    """

    menu_code: str | None = None
    style_code: str | None = None
    quantity: int | None = None
    customizations: Mapping[str, int] | None = None
    menu_selection: int | None = None
    style_selection: int | None = None
    customization_overrides: Mapping[str, int] | None = None
    state: str | None = None
    state_decision: str | None = None


@dataclass(slots=True)
class TurnOutcome:
    """What applying a turn did.

    ``decision`` is what happened, not what was proposed: ``cancel`` (the draft
    was abandoned), ``confirm`` (the caller must place the order, then call
    :meth:`ConversationSession.complete`), else ``advance``/``back``/``stay`` by
    how the stage moved.
    """

    stage: Stage
    decision: Decision
    ignored: list[IgnoredField] = field(default_factory=list)
    place_order: bool = False
    cancelled: bool = False
    closed: bool = False
    """The conversation had already placed its order; nothing was applied."""


def apply_turn(
    session: ConversationSession, proposal: TurnProposal, catalog: Catalog
) -> TurnOutcome:
    """Apply what is valid in ``proposal`` to ``session`` and report the rest."""
    ignored: list[IgnoredField] = []
    if session.stage == Stage.COMPLETED:
        ignored.append(("session", "this conversation has placed its order; start a new one"))
        return TurnOutcome(session.stage, Decision.STAY, ignored, closed=True)
    decision = _read_enum(Decision, proposal.state_decision, "state_decision", ignored)
    if decision == Decision.CANCEL:
        session.abandon_order()
        return TurnOutcome(session.stage, Decision.CANCEL, ignored, cancelled=True)

    before = session.stage
    draft = _proposed_draft(session.order_state, proposal, catalog, ignored)
    order_changed = draft != session.order_state
    session.update_order_state(
        menu_code=draft.menu_code,
        style_code=draft.style_code,
        quantity=draft.quantity,
        customizations=draft.customizations,
    )
    # A refused quantity is a question to the customer: nothing goes on until it is answered.
    quantity_refused = any(name == "quantity" for name, _ in ignored)
    if decision == Decision.CONFIRM:
        refusal = _confirm_refusal(session, order_changed, quantity_refused)
        if refusal is None:
            if proposal.state not in (None, Stage.CONFIRMATION, Stage.COMPLETED):
                ignored.append(("state", "the order is being placed"))
            return TurnOutcome(session.stage, Decision.CONFIRM, ignored, place_order=True)
        ignored.append(("state_decision", refusal))
    ceiling = Stage.CUSTOMIZATION if quantity_refused else Stage.COMPLETED
    _move_stage(session, proposal.state, decision, ignored, ceiling)
    return TurnOutcome(session.stage, movement(before, session.stage), ignored)


# the order ---------------------------------------------------------------------------
def _proposed_draft(
    current: OrderDraft, proposal: TurnProposal, catalog: Catalog, ignored: list[IgnoredField]
) -> OrderDraft:
    draft = replace(current, customizations=dict(current.customizations))
    menu = _pick(
        proposal.menu_code, proposal.menu_selection, catalog.menu, catalog.menu_at, ignored
    )
    if menu is not None and menu.code != draft.menu_code:
        draft.menu_code = menu.code
        # Customizations were about the other dinner; the turn may propose new ones.
        draft.customizations = {}
        if draft.style_code is not None and menu.allowed_style(draft.style_code) is None:
            draft.style_code = None

    chosen = draft.menu_code
    if chosen is None:
        _refuse_without_menu(proposal, ignored)
    else:
        style = _pick(
            proposal.style_code,
            proposal.style_selection,
            lambda code: catalog.style(chosen, code),
            lambda index: catalog.style_at(chosen, index),
            ignored,
        )
        if style is not None:
            draft.style_code = style.code
        draft.customizations.update(_valid_customizations(chosen, proposal, catalog, ignored))

    if proposal.quantity is not None:
        try:
            draft.quantity = check_quantity(proposal.quantity)
        except CatalogError as error:
            ignored.append((error.field, error.message))
    return draft


_Choice = TypeVar("_Choice", Menu, Style)


def _pick(
    code: str | None,
    index: int | None,
    by_code: Callable[[str], _Choice],
    by_index: Callable[[int], _Choice],
    ignored: list[IgnoredField],
) -> _Choice | None:
    """The choice named by ``code`` or else by ``index``, whichever the catalog knows."""
    from_code = _lookup(by_code, code, ignored)
    from_index = _lookup(by_index, index, ignored)
    if from_code is not None and from_index is not None and from_code.code != from_index.code:
        field_name = "menu_selection" if isinstance(from_code, Menu) else "style_selection"
        ignored.append((field_name, f"position {index} disagrees with {code!r}; the code wins"))
    return from_code if from_code is not None else from_index


_Key = TypeVar("_Key", str, int)


def _lookup(
    find: Callable[[_Key], _Choice], key: _Key | None, ignored: list[IgnoredField]
) -> _Choice | None:
    if key is None:
        return None
    try:
        return find(key)
    except CatalogError as error:
        ignored.append((error.field, error.message))
        return None


def _valid_customizations(
    menu_code: str, proposal: TurnProposal, catalog: Catalog, ignored: list[IgnoredField]
) -> dict[str, int]:
    valid: dict[str, int] = {}
    sources = {
        "customizations": proposal.customizations,
        "customization_overrides": proposal.customization_overrides,
    }
    for source, proposed in sources.items():
        for code, amount in (proposed or {}).items():
            try:
                catalog.check_customization(menu_code, code, amount)
            except CatalogError as error:
                ignored.append((f"{source}.{code}", error.message))
            else:
                valid[code] = amount
    return valid


def _refuse_without_menu(proposal: TurnProposal, ignored: list[IgnoredField]) -> None:
    proposed = {
        "style_code": proposal.style_code,
        "style_selection": proposal.style_selection,
        "customizations": proposal.customizations,
        "customization_overrides": proposal.customization_overrides,
    }
    ignored.extend(
        (name, "choose a menu first") for name, value in proposed.items() if value is not None
    )


# the stage -------------------------------------------------------------------------
def _confirm_refusal(
    session: ConversationSession, order_changed: bool, quantity_refused: bool
) -> str | None:
    """Why ``confirm`` cannot place the order now, or ``None`` if it can."""
    if quantity_refused:
        return "the quantity was refused; the customer is asked again"
    if not session.order_state.is_complete:
        return "the order needs a menu and a style before it can be confirmed"
    if session.stage != Stage.CONFIRMATION:
        return f"an order is confirmed at confirmation, not at {session.stage}"
    if order_changed:
        # The customer confirms what was read back to them, not a changed order.
        return "the order changed in this turn; it must be confirmed again"
    return None


def _move_stage(
    session: ConversationSession,
    proposed_state: str | None,
    decision: Decision | None,
    ignored: list[IgnoredField],
    ceiling: Stage,
) -> None:
    """Move to the proposed state, else one step as ``decision`` says; never past
    ``ceiling`` (a refused quantity stops at customization, where it is asked)."""
    target = _read_enum(Stage, proposed_state, "state", ignored)
    if target is None and decision in (Decision.ADVANCE, Decision.BACK):
        step_to = next_stage if decision == Decision.ADVANCE else previous_stage
        target = step_to(session.stage)
        if target is None:
            ignored.append(("state_decision", f"no stage to {decision} to from {session.stage}"))
    if target is None:
        return
    if STAGE_ORDER.index(target) > STAGE_ORDER.index(ceiling):
        ignored.append(("state", f"the quantity was refused; {target} waits for one"))
        if STAGE_ORDER.index(ceiling) <= STAGE_ORDER.index(session.stage):
            return
        target = ceiling
    try:
        session.advance_stage(target)
    except InvalidStageTransition as error:
        field_name = "state" if proposed_state is not None else "state_decision"
        ignored.append((field_name, error.message))


_Enum = TypeVar("_Enum", Stage, Decision)


def _read_enum(
    kind: type[_Enum], value: str | None, field_name: str, ignored: list[IgnoredField]
) -> _Enum | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        ignored.append((field_name, f"unknown {field_name} {value!r}"))
        return None
