"""Models of the voice API (docs/contract.md §2.1 to §2.3) and of the AI Server's results.

Request models validate what clients send. The ``*Result`` models read what the
AI Server answers: untrusted input, so unknown members are ignored, strings and
lists are bounded, and an unknown ``intent`` falls back to ``unknown`` rather
than failing the turn.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from quart_schema.pydantic import File

from config import Settings
from domain.stages import Decision, Stage

MAX_PROMPT_CHARS = 500
MAX_REPLY_CHARS = 4000
MAX_LIST_ITEMS = 10
MAX_SHORT_CHARS = 500
MAX_ANALYSIS_BYTES = 8192
MAX_TRANSCRIPT_CHARS = "max_transcript_chars"
"""The validation context's key for the longest ``transcript`` accepted."""
DEFAULT_MAX_TRANSCRIPT_CHARS: int = Settings.model_fields["max_transcript_chars"].default
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$"
NOT_BLANK_PATTERN = r"\S"
"""Schema pattern of a text trimmed before ``min_length`` counts: only whitespace is too short."""


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


def _within_transcript_limit(value: str, info: ValidationInfo) -> str:
    context = info.context or {}
    limit: int = context.get(MAX_TRANSCRIPT_CHARS, DEFAULT_MAX_TRANSCRIPT_CHARS)
    if len(value) > limit:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": limit},
        )
    return value


ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT_CHARS)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# Any whole number is a well-formed proposal: whether the catalog allows it
# (1..MAX_QUANTITY dinners, 0..MAX_INGREDIENT_QUANTITY units) is the domain's
# to decide, and a refused value becomes a question, not a malformed answer.
# So is any menu or style position: one the catalog lacks is refused there.
Quantity = Annotated[int, Field(strict=True)]
IngredientAmounts = Annotated[dict[Code, Annotated[int, Field(strict=True)]], Field(max_length=32)]
Position = Quantity


class _Untrusted(BaseModel):
    model_config = ConfigDict(extra="ignore")


# requests ------------------------------------------------------------------------------
class VoiceInputRequest(BaseModel):
    """``POST /api/voice/analyze``: one customer utterance, in a new or running session.

    ``transcript`` may be as long as the validation context's
    ``max_transcript_chars`` (the ``MAX_TRANSCRIPT_CHARS`` setting), else the
    setting's default, which the OpenAPI schema shows.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    transcript: Annotated[
        str,
        Field(
            min_length=1,
            json_schema_extra={
                "maxLength": DEFAULT_MAX_TRANSCRIPT_CHARS,
                "pattern": NOT_BLANK_PATTERN,
            },
        ),
        AfterValidator(_within_transcript_limit),
    ]
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class SpeechUpload(BaseModel):
    """``POST /api/voice/stt`` form: the ``audio`` file, an optional BCP-47 ``language``
    and the ``session_id`` of the conversation the speech belongs to.

    ``audio`` is optional here so that a missing file is a 400 with a clear
    message rather than a generic validation error.
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True, json_schema_extra={"required": ["audio"]}
    )

    # The schemas say what a client sends: a form has no null, and the file is needed.
    audio: Annotated[File | None, WithJsonSchema({"type": "string", "format": "binary"})] = None
    language: Annotated[
        str | None,
        StringConstraints(pattern=LANGUAGE_PATTERN),
        WithJsonSchema({"type": "string", "pattern": LANGUAGE_PATTERN}),
    ] = None
    session_id: Annotated[
        str | None,
        StringConstraints(min_length=1, max_length=128),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 128}),
    ] = None


class ImageGenerationRequest(BaseModel):
    """``POST /api/customizations/generate-ai-image``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )
    aspect_ratio: Literal["1:1"] = "1:1"
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    """A conversation of the caller's: the picture becomes its order's cake picture."""


# the AI Server's results (untrusted) ---------------------------------------------------
class MenuSuggestion(_Untrusted):
    """A menu the assistant suggests, with why."""

    code: Code
    name: ShortText
    description: ShortText = ""
    price: Annotated[int, Field(ge=0, le=100_000_000)] = 0
    reason: ShortText = ""


class ProposedOrder(_Untrusted):
    """``order_state`` as the AI understood it; codes are checked against the catalog later."""

    menu_code: Code | None = None
    style_code: Code | None = None
    quantity: Quantity | None = None
    customizations: IngredientAmounts | None = None


class LlmResult(_Untrusted):
    """An ``llm`` result: the fields of ``VoiceAnalysisResponse`` but ``session_id``."""

    intent: Annotated[Intent, BeforeValidator(_known_intent)] = Intent.UNKNOWN
    confidence: float = Field(0.0, ge=0.0, le=1.0, strict=True)
    response: str = Field(min_length=1, max_length=MAX_REPLY_CHARS)
    analysis: Annotated[dict[str, Any], AfterValidator(_small_json)] = Field(default_factory=dict)
    recommended_menu: MenuSuggestion | None = None
    alternatives: list[MenuSuggestion] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    additional_questions: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    order_state: ProposedOrder = Field(default_factory=ProposedOrder)
    state: Stage | None = None
    state_decision: Decision | None = None
    menu_selection: Position | None = None
    style_selection: Position | None = None
    quantity: Quantity | None = None
    customization_overrides: IngredientAmounts | None = None


class SttResult(_Untrusted):
    """An ``stt`` result."""

    text: str = Field(max_length=20_000)
    language: Annotated[str, StringConstraints(max_length=35)] | None = None
    duration_s: float | None = Field(None, ge=0)


class ImageResult(_Untrusted):
    """An ``image`` result; the bytes are checked separately (``media_store``)."""

    image_b64: str = Field(min_length=1)
    mime_type: Literal["image/png", "image/jpeg", "image/webp"]


# responses -------------------------------------------------------------------------------
class OrderState(BaseModel):
    """The conversation's draft order after the turn, priced when complete."""

    menu_code: str | None
    style_code: str | None
    quantity: int
    customizations: dict[str, int]
    summary: str
    image_id: str | None = None
    """The cake picture the order will carry."""
    unit_price: int | None = None
    total: int | None = None


class VoiceAnalysisResponse(BaseModel):
    """The answer to one utterance (docs/contract.md §2.1)."""

    session_id: str
    intent: str
    confidence: float
    response: str
    analysis: dict[str, Any]
    recommended_menu: MenuSuggestion | None
    alternatives: list[MenuSuggestion]
    additional_questions: list[str]
    order_state: OrderState
    state: Stage
    state_decision: Decision
    menu_selection: int | None
    style_selection: int | None
    quantity: int | None
    customization_overrides: dict[str, int] | None
    order_id: str | None = None


class SpeechText(BaseModel):
    """``POST /api/voice/stt`` answer."""

    text: str
    language: str | None


class GeneratedImage(BaseModel):
    """``POST /api/customizations/generate-ai-image`` answer (201)."""

    image_id: str
    image_path: str
