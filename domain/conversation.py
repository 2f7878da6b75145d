"""A voice-ordering conversation: its messages, its draft order and its stage."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final, Literal, TypedDict, get_args

from domain.catalog import Catalog, check_ingredient_quantity, check_quantity
from domain.draft import OrderDraft
from domain.errors import (
    FieldError,
    IncompleteOrder,
    InvalidStageTransition,
    MalformedData,
    SessionClosed,
)
from domain.json_reader import Reader
from domain.language import Language
from domain.stages import Decision, Stage, check_stage_move, furthest_supported, stage_supported

__all__ = [
    "MAX_MESSAGES",
    "MESSAGE_ROLES",
    "ChatMessage",
    "ConversationSession",
    "Decision",
    "MessageRole",
    "OrderDraft",
    "Stage",
]

MAX_MESSAGES = 50
"""History kept per conversation; older messages are dropped first."""
MessageRole = Literal["user", "assistant"]
MESSAGE_ROLES: Final = get_args(MessageRole)


class ChatMessage(TypedDict):
    """One message of the conversation, as on the AI bus (``bus.ai_messages.ChatMessage``
    is its wire model); ``role`` is one of :data:`MESSAGE_ROLES`."""

    role: str
    content: str


class _Unset(Enum):
    UNSET = "unset"


_UNSET: Final = _Unset.UNSET


def _now(now: float | None) -> float:
    return time.time() if now is None else now


@dataclass(slots=True)
class ConversationSession:
    """One customer's conversation with the voice assistant.

    ``owner`` is who may continue it, as the session store writes it:
    ``user:<user_id>`` for a member; ``guest`` for a guest, whom the
    unguessable ``session_id`` alone admits. ``order_id`` is set once the conversation has
    placed its order, which also makes ``stage`` ``completed`` for good.
    The stage always stays one the draft supports (see :mod:`domain.stages`).
    """

    session_id: str
    user_id: str | None
    owner: str
    messages: list[ChatMessage] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    order_state: OrderDraft = field(default_factory=OrderDraft)
    created_at: float = 0.0
    last_activity: float = 0.0
    stage: Stage = Stage.GREETING
    order_id: str | None = None

    @classmethod
    def start(
        cls, session_id: str, user_id: str | None, owner: str, now: float | None = None
    ) -> ConversationSession:
        """A new conversation at ``greeting``, created ``now``."""
        started = _now(now)
        return cls(
            session_id=session_id,
            user_id=user_id,
            owner=owner,
            created_at=started,
            last_activity=started,
        )

    # history and context -----------------------------------------------------
    def add_message(self, role: str, content: str, now: float | None = None) -> None:
        """Append a ``user`` or ``assistant`` message, keeping the last ``MAX_MESSAGES``."""
        if role not in MESSAGE_ROLES:
            raise FieldError(f"a message role must be one of {MESSAGE_ROLES}", field="role")
        if not isinstance(content, str):
            raise FieldError("a message's content must be text", field="content")
        self.messages.append({"role": role, "content": content})
        del self.messages[:-MAX_MESSAGES]
        self.touch(now)

    def update_context(self, **values: Any) -> None:
        """Set members of the free-form ``context`` (JSON-safe values only)."""
        self.context.update(values)

    def get_order_state_summary(
        self, catalog: Catalog | None = None, language: Language = "en"
    ) -> str:
        """The draft order in words, e.g. ``"French Dinner, Grand, x2, wine 2"``, in
        ``language`` (English for the AI Server's context summary)."""
        return self.order_state.summary(catalog, language)

    def get_context_summary(self, catalog: Catalog | None = None) -> str:
        """A short account of where the conversation stands, for the AI Server."""
        parts = [f"Stage: {self.stage}.", f"Order: {self.get_order_state_summary(catalog)}."]
        last_user = next((m for m in reversed(self.messages) if m["role"] == "user"), None)
        if last_user is not None:
            parts.append(f"Last customer message: {last_user['content'][:200]!r}.")
        parts.append(f"{len(self.messages)} messages so far.")
        return " ".join(parts)

    # the draft order and the stage ------------------------------------------------
    def update_order_state(
        self,
        *,
        menu_code: str | _Unset | None = _UNSET,
        style_code: str | _Unset | None = _UNSET,
        quantity: int | _Unset = _UNSET,
        customizations: Mapping[str, int] | _Unset = _UNSET,
    ) -> None:
        """Replace the given members of the draft (codes are not checked here).

        Should the draft no longer support the current stage, the stage falls
        back to the latest one it does support.
        """
        self._refuse_if_completed()
        if not isinstance(quantity, _Unset):
            self.order_state.quantity = check_quantity(quantity)
        if not isinstance(customizations, _Unset):
            self.order_state.customizations = {
                code: check_ingredient_quantity(code, amount)
                for code, amount in customizations.items()
            }
        if not isinstance(menu_code, _Unset):
            self.order_state.menu_code = menu_code
        if not isinstance(style_code, _Unset):
            self.order_state.style_code = style_code
        self.stage = furthest_supported(self.stage, self.order_state)

    def advance_stage(self, target: Stage) -> Stage:
        """Move to ``target`` if the stage rules allow it, else :class:`InvalidStageTransition`."""
        self.stage = check_stage_move(self.stage, target, self.order_state)
        return self.stage

    def attach_image(self, image_id: str) -> None:
        """Make ``image_id`` the cake picture of the order being built."""
        self._refuse_if_completed()
        if not isinstance(image_id, str) or not image_id:
            raise FieldError("an image id must be a non-empty string", field="image_id")
        self.order_state.image_id = image_id

    def abandon_order(self) -> None:
        """Drop the draft and start over at ``greeting`` (the customer cancelled)."""
        self._refuse_if_completed()
        self.order_state = OrderDraft()
        self.stage = Stage.GREETING

    def complete(self, order_id: str) -> None:
        """Record that order ``order_id`` was placed; only from ``confirmation``."""
        if not isinstance(order_id, str) or not order_id:
            raise FieldError("an order id must be a non-empty string", field="order_id")
        if not self.order_state.is_complete:
            raise IncompleteOrder("an order needs a menu and a style")
        if self.stage != Stage.CONFIRMATION:
            raise InvalidStageTransition(f"an order is placed from confirmation, not {self.stage}")
        self.stage = Stage.COMPLETED
        self.order_id = order_id

    def _refuse_if_completed(self) -> None:
        if self.stage == Stage.COMPLETED:
            raise SessionClosed("this conversation has placed its order; start a new one")

    # time ---------------------------------------------------------------------------
    def touch(self, now: float | None = None) -> None:
        """Record activity ``now`` (the sliding expiry starts again)."""
        self.last_activity = _now(now)

    def is_expired(self, ttl: float, now: float | None = None) -> bool:
        """Whether ``ttl`` seconds or more have passed since the last activity."""
        return _now(now) - self.last_activity >= ttl

    # serialization --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy that :meth:`from_dict` reads back exactly."""
        return {
            "session_id": self.session_id,
            "user_id": self.user_id,
            "owner": self.owner,
            "messages": [dict(message) for message in self.messages],
            "context": copy.deepcopy(self.context),
            "order_state": self.order_state.to_dict(),
            "created_at": self.created_at,
            "last_activity": self.last_activity,
            "stage": self.stage.value,
            "order_id": self.order_id,
        }

    @classmethod
    def from_dict(cls, data: object) -> ConversationSession:
        """Read :meth:`to_dict`'s output back; :class:`MalformedData` for anything else."""
        reader = Reader(data, "")
        session = cls(
            session_id=reader.text("session_id"),
            user_id=reader.optional_text("user_id"),
            owner=reader.text("owner"),
            messages=[_read_message(message) for message in reader.items_of("messages")],
            context=copy.deepcopy(reader.raw_object("context")),
            order_state=OrderDraft.from_dict(reader.raw_object("order_state")),
            created_at=reader.number("created_at"),
            last_activity=reader.number("last_activity"),
            stage=_read_stage(reader.text("stage")),
            order_id=reader.optional_text("order_id"),
        )
        if not stage_supported(session.stage, session.order_state):
            raise MalformedData(f"stage {session.stage} needs more of the order", field="stage")
        if (session.stage == Stage.COMPLETED) != (session.order_id is not None):
            raise MalformedData("only a completed conversation has an order id", field="order_id")
        return session


def _read_message(reader: Reader) -> ChatMessage:
    role = reader.text("role")
    if role not in MESSAGE_ROLES:
        raise MalformedData(f"a message role must be one of {MESSAGE_ROLES}", field="role")
    return {"role": role, "content": reader.text("content")}


def _read_stage(value: str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        raise MalformedData(f"unknown stage {value!r}", field="stage") from None
