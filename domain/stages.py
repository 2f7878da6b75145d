"""The conversation's stage machine: which stage may follow which, given the draft."""

from __future__ import annotations

from enum import StrEnum

from domain.draft import OrderDraft
from domain.errors import InvalidStageTransition


class Stage(StrEnum):
    """Where a voice-ordering conversation is, in the order a customer goes through."""

    GREETING = "greeting"
    MENU_SELECTION = "menu_selection"
    STYLE_SELECTION = "style_selection"
    CUSTOMIZATION = "customization"
    CONFIRMATION = "confirmation"
    COMPLETED = "completed"


class Decision(StrEnum):
    """How the AI proposes to move the conversation on."""

    STAY = "stay"
    ADVANCE = "advance"
    BACK = "back"
    CONFIRM = "confirm"
    CANCEL = "cancel"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


def stage_supported(stage: Stage, draft: OrderDraft) -> bool:
    """Whether ``draft`` holds what the stages before ``stage`` collect.

    ``completed`` also needs a placed order, which only the session knows.
    """
    if stage == Stage.STYLE_SELECTION:
        return draft.menu_code is not None
    if stage in (Stage.CUSTOMIZATION, Stage.CONFIRMATION, Stage.COMPLETED):
        return draft.is_complete
    return True


def check_stage_move(current: Stage, target: Stage, draft: OrderDraft) -> Stage:
    """Return ``target`` if the conversation may move there from ``current``.

    Staying is always allowed; back to any earlier stage too, except out of
    ``completed``; forward only to a stage ``draft`` supports, and never to
    ``completed`` (only placing an order completes a conversation).
    Raises :class:`InvalidStageTransition` otherwise.
    """
    try:
        target = Stage(target)  # a plain string from a caller becomes the enum member
    except ValueError:
        raise InvalidStageTransition(f"there is no stage {target!r}") from None
    if target == current:
        return target
    if current == Stage.COMPLETED:
        raise InvalidStageTransition("the conversation is completed")
    if target == Stage.COMPLETED:
        raise InvalidStageTransition("only placing the order completes the conversation")
    if STAGE_ORDER.index(target) < STAGE_ORDER.index(current):
        return target
    if not stage_supported(target, draft):
        missing = "a menu" if draft.menu_code is None else "a style"
        raise InvalidStageTransition(f"{target} needs {missing} first")
    return target


def next_stage(stage: Stage) -> Stage | None:
    """The stage after ``stage``, or ``None`` for the last."""
    index = STAGE_ORDER.index(stage) + 1
    return STAGE_ORDER[index] if index < len(STAGE_ORDER) else None


def previous_stage(stage: Stage) -> Stage | None:
    """The stage before ``stage``, or ``None`` for the first."""
    index = STAGE_ORDER.index(stage) - 1
    return STAGE_ORDER[index] if index >= 0 else None


def furthest_supported(stage: Stage, draft: OrderDraft) -> Stage:
    """``stage`` or the latest earlier stage that ``draft`` supports."""
    index = STAGE_ORDER.index(stage)
    while not stage_supported(STAGE_ORDER[index], draft):
        index -= 1
    return STAGE_ORDER[index]


def movement(before: Stage, after: Stage) -> Decision:
    """How going from ``before`` to ``after`` moved the conversation."""
    step = STAGE_ORDER.index(after) - STAGE_ORDER.index(before)
    return Decision.ADVANCE if step > 0 else Decision.BACK if step < 0 else Decision.STAY
