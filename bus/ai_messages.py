"""The messages of the AI bus (``docs/ai-messages.md``), one definition for both ends.

This service sends the requests and validates every result with these models;
the reference AI Server (``ai_worker/``) reads the requests and builds its
results with them. Both sides ignore members they do not know.

A result is untrusted input: text and lists are bounded and an unknown
``intent`` reads as ``unknown``. Whether a code, a position or a quantity is
allowed is the domain's to decide, not the wire's: any whole number is a
well-formed proposal, and one the catalog refuses becomes a question to the
customer rather than a malformed answer.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
)

from domain.catalog import CURRENCY, MAX_INGREDIENT_QUANTITY, Catalog, Ingredient, Menu, Style
from domain.conversation import MessageRole
from domain.language import DEFAULT_LANGUAGE
from domain.stages import Decision, Stage

MAX_REPLY_CHARS = 4000
MAX_LIST_ITEMS = 10
MAX_SHORT_CHARS = 500
MAX_ANALYSIS_BYTES = 8192
MAX_TEXT_CHARS = 20_000
MAX_STT_PROMPT_CHARS = 1000
MAX_IMAGE_PROMPT_CHARS = 2000
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

AIKind = Literal["stt", "llm", "image", "stt_stream"]
ImageType = Literal["image/png", "image/jpeg", "image/webp"]
ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT_CHARS)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
WholeNumber = Annotated[int, Field(strict=True)]
"""A quantity or a 0-based position: any whole number is well formed (see above)."""
IngredientAmounts = Annotated[dict[Code, WholeNumber], Field(max_length=32)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")


# the envelopes ------------------------------------------------------------------------
class RequestEnvelope(_Message):
    """A request as pushed on ``ai:queue:<type>``."""

    request_id: Annotated[str, StringConstraints(pattern=REQUEST_ID_PATTERN)]
    type: AIKind
    reply_to: str | None = None
    created_at: float | None = None
    deadline: Annotated[float, Field(strict=True)]
    """Unix seconds after which the requester no longer waits."""
    payload: dict[str, Any]


class ErrorBody(_Message):
    code: str = "ai_error"
    message: str = ""


class OkReply(_Message):
    """An answered request; ``result`` is read with the model of the request's kind."""

    request_id: str
    status: Literal["ok"] = "ok"
    result: dict[str, Any]


class ErrorReply(_Message):
    """A request the AI Server could not answer."""

    request_id: str
    status: Literal["error"] = "error"
    error: ErrorBody


Reply = Annotated[OkReply | ErrorReply, Field(discriminator="status")]


# stt ----------------------------------------------------------------------------------
class SttPayload(_Message):
    audio_b64: str
    """Standard base64 of the audio file."""
    filename: str | None = None
    mime_type: str | None = None
    language: str | None = None
    """``ko``, ``en``, ... or ``None``: detect it."""
    prompt: str | None = Field(default=None, max_length=MAX_STT_PROMPT_CHARS)
    """Words the audio is likely to contain, to bias recognition with."""


class SttResult(_Message):
    text: str = Field(max_length=MAX_TEXT_CHARS)
    language: Annotated[str, StringConstraints(max_length=35)] | None = None
    duration_s: float | None = Field(default=None, ge=0)


# stt_stream ---------------------------------------------------------------------------
PCM_FIELD = "pcm"
"""An audio stream entry's field: raw PCM, signed 16-bit little-endian, mono."""
PROMPT_FIELD = "prompt"
"""An audio stream entry's field: a new recognition prompt for the utterances that follow."""
END_FIELD = "end"
"""An audio stream entry's field: the audio is over; finish the utterance, then close."""
SAMPLE_RATE: Literal[16000] = 16_000
MAX_UTTERANCE_MS = 3_600_000
Offset = Annotated[int, Field(ge=0, le=10 * MAX_UTTERANCE_MS)]
"""Milliseconds into a stream's audio."""
Utterance = Annotated[int, Field(ge=0, le=100_000)]


class SttStreamPayload(_Message):
    audio_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    """The Redis stream the audio is appended to."""
    sample_rate: Literal[16000] = SAMPLE_RATE
    encoding: Literal["pcm_s16le"] = "pcm_s16le"
    language: str | None = None
    prompt: str | None = Field(default=None, max_length=MAX_STT_PROMPT_CHARS)
    endpoint_ms: int = Field(ge=0, le=10_000)
    """The silence that ends an utterance."""
    max_utterance_s: float = Field(gt=0, le=MAX_UTTERANCE_MS / 1000)


class StreamAccepted(_Message):
    event: Literal["accepted"]
    worker: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    """The worker serving the stream, whose heartbeat key ``ai:alive:<worker>`` lives
    while it does (this service's extension of docs/contract.md §1.5; optional)."""


class SpeechStarted(_Message):
    event: Literal["speech_started"]
    utterance: Utterance
    start_ms: Offset


class PartialText(_Message):
    event: Literal["partial"]
    utterance: Utterance
    text: str = Field(max_length=MAX_TEXT_CHARS)


class FinalText(_Message):
    event: Literal["final"]
    utterance: Utterance
    text: str = Field(max_length=MAX_TEXT_CHARS)
    language: Annotated[str, StringConstraints(max_length=35)] | None = None
    start_ms: Offset
    end_ms: Offset


class StreamClosed(_Message):
    event: Literal["closed"]


StreamEvent = Annotated[
    StreamAccepted | SpeechStarted | PartialText | FinalText | StreamClosed,
    Field(discriminator="event"),
]
"""The ``result`` of each ``ok`` reply on a ``stt_stream`` request's ``reply_to``."""


# image --------------------------------------------------------------------------------
class ImagePayload(_Message):
    prompt: str = Field(min_length=1, max_length=MAX_IMAGE_PROMPT_CHARS)
    aspect_ratio: Literal["1:1"] = "1:1"


class ImageResult(_Message):
    """The bytes are checked separately, by the service's image check."""

    image_b64: str = Field(min_length=1)
    mime_type: ImageType


# llm: the context ---------------------------------------------------------------------
Count = Annotated[int, Field(strict=True, ge=0)]


class _Named(_Message):
    """Named in each language. The bare ``name`` the wire contract fixes is the
    :data:`~domain.language.DEFAULT_LANGUAGE` one: written out, never read."""

    name_ko: str
    name_en: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def name(self) -> str:
        return str(getattr(self, f"name_{DEFAULT_LANGUAGE}"))


class AIIngredient(_Named):
    code: str
    quantity: Annotated[int, Field(strict=True, ge=0, le=MAX_INGREDIENT_QUANTITY)]
    """Units per dinner by default."""
    unit_price: Count
    """The price of a unit above the default."""


class AIStyle(_Named):
    code: str
    price_delta: Annotated[int, Field(strict=True)]


class Described(_Named):
    """Named and described in each language (empty: no description in that language);
    the bare ``description`` is the default language's, as ``name`` is."""

    description_ko: str = ""
    description_en: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def description(self) -> str:
        return str(getattr(self, f"description_{DEFAULT_LANGUAGE}"))


class AIMenu(Described):
    code: str
    price: Count
    ingredients: list[AIIngredient]
    styles: list[AIStyle]
    """Only the styles this menu allows, in a fixed order (``style_selection`` indexes it)."""


class AICatalog(_Message):
    """``context.catalog``: every menu on offer (``menu_selection`` indexes ``menus``).

    The one definition of the catalog on the wire: the service writes it from
    the domain's :class:`~domain.catalog.Catalog` (:meth:`of`), and an AI
    Server reads it back (:meth:`to_catalog`).
    """

    currency: Literal["KRW"]
    menus: list[AIMenu]

    @classmethod
    def of(cls, catalog: Catalog) -> AICatalog:
        """``catalog`` as ``context.catalog``."""
        return cls(
            currency=CURRENCY, menus=[AIMenu.model_validate(asdict(m)) for m in catalog.menus]
        )

    def to_catalog(self) -> Catalog:
        """The domain's catalog; :class:`~domain.errors.MalformedData` if two menus share a code."""
        return Catalog(
            menus=tuple(
                Menu(
                    **menu.model_dump(include=_MENU_SCALARS),
                    ingredients=tuple(
                        Ingredient(**i.model_dump(exclude={"name"})) for i in menu.ingredients
                    ),
                    styles=tuple(Style(**s.model_dump(exclude={"name"})) for s in menu.styles),
                )
                for menu in self.menus
            )
        )


_MENU_SCALARS = {"code", "name_ko", "name_en", "description_ko", "description_en", "price"}


class ChatMessage(_Message):
    role: MessageRole
    content: str


class CurrentOrder(_Message):
    """``context.order_state``: the conversation's draft order before this turn."""

    menu_code: str | None = None
    style_code: str | None = None
    quantity: int | None = None
    customizations: dict[str, int] = Field(default_factory=dict)
    """Ingredient code -> units per dinner (replacing the default)."""
    image_id: str | None = None


class OrderedItem(_Message):
    """A line of one of a member's recent orders."""

    menu_code: str
    style_code: str | None = None
    quantity: int = 1
    customizations: dict[str, int] = Field(default_factory=dict)


class RecentOrder(_Message):
    order_id: str | None = None
    status: str | None = None
    items: list[OrderedItem] = Field(default_factory=list)
    total: int = 0
    created_at: str | None = None


class OrderHistory(_Message):
    """``context.order_history``: a member's habits; empty for a guest."""

    favorite_menus: list[str] = Field(default_factory=list)
    """Menu codes, most ordered first."""
    preferred_style: str | None = None
    average_order_amount: int = 0
    recent_orders: list[RecentOrder] = Field(default_factory=list)
    """Newest first."""


class ActiveEvent(_Message):
    """One of ``context.active_events``: a promotion running now."""

    id: int | str | None = None
    title_ko: str = ""
    title_en: str = ""
    description_ko: str = ""
    description_en: str = ""
    discount_percent: int = 0
    menu_codes: list[str] = Field(default_factory=list)
    """Empty: every menu."""
    starts_at: str | None = None
    ends_at: str | None = None


class LlmContext(_Message):
    messages: list[ChatMessage] = Field(default_factory=list)
    stage: Stage = Stage.GREETING
    order_state: CurrentOrder = Field(default_factory=CurrentOrder)
    order_history: OrderHistory = Field(default_factory=OrderHistory)
    active_events: list[ActiveEvent] = Field(default_factory=list)
    catalog: AICatalog
    language: str | None = None
    """``ko``, ``en`` or ``None``: a hint."""
    context_summary: str | None = None
    order_state_summary: str | None = None


class LlmPayload(_Message):
    transcript: str
    user_id: str | None = None
    """``None`` for a guest."""
    session_id: str | None = None
    context: LlmContext


# llm: the result ----------------------------------------------------------------------
class Intent(StrEnum):
    """What the customer meant, as far as the AI Server could tell."""

    ORDER = "order"
    INQUIRY = "inquiry"
    RECOMMENDATION = "recommendation"
    GREETING = "greeting"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    MODIFY = "modify"
    UNKNOWN = "unknown"


def _known_intent(value: object) -> object:
    if isinstance(value, str) and value not in Intent.__members__.values():
        return Intent.UNKNOWN
    return value


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, ensure_ascii=False, default=str)) > MAX_ANALYSIS_BYTES:
        raise ValueError(f"must be at most {MAX_ANALYSIS_BYTES} bytes of JSON")
    return value


class MenuSuggestion(_Message):
    """A menu the assistant suggests, with why."""

    code: Code
    name: ShortText
    description: ShortText = ""
    price: Annotated[int, Field(ge=0, le=100_000_000)] = 0
    reason: ShortText = ""


class ProposedOrder(_Message):
    """``order_state`` as the AI understood it; the catalog judges its codes and numbers."""

    menu_code: Code | None = None
    style_code: Code | None = None
    quantity: WholeNumber | None = None
    customizations: IngredientAmounts | None = None


class LlmResult(_Message):
    """The fields of the service's ``VoiceAnalysisResponse`` but ``session_id``."""

    intent: Annotated[Intent, BeforeValidator(_known_intent)] = Intent.UNKNOWN
    confidence: float = Field(default=0.0, ge=0.0, le=1.0, strict=True)
    response: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)
    analysis: Annotated[dict[str, Any], AfterValidator(_small_json)] = Field(default_factory=dict)
    recommended_menu: MenuSuggestion | None = None
    alternatives: list[MenuSuggestion] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    additional_questions: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    order_state: ProposedOrder = Field(default_factory=ProposedOrder)
    state: Stage | None = None
    """The stage proposed next; the conversation's stage machine decides."""
    state_decision: Decision | None = None
    menu_selection: WholeNumber | None = None
    """0-based position in ``context.catalog.menus``."""
    style_selection: WholeNumber | None = None
    """0-based position in the chosen menu's ``styles``."""
    quantity: WholeNumber | None = None
    customization_overrides: IngredientAmounts | None = None


AIResult = SttResult | LlmResult | ImageResult
"""What an engine of the reference AI Server answers."""
