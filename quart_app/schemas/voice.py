"""Models of the voice API (docs/contract.md §2.1 to §2.3).

Request models validate what clients send. What the AI Server answers is read
with the models of :mod:`bus.ai_messages`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from bus.ai_messages import MenuSuggestion
from config import Settings
from domain.stages import Decision, Stage

MAX_PROMPT_CHARS = 500
MAX_TRANSCRIPT_CHARS = "max_transcript_chars"
"""The validation context's key for the longest ``transcript`` accepted."""
DEFAULT_MAX_TRANSCRIPT_CHARS: int = Settings.model_fields["max_transcript_chars"].default
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$"
NOT_BLANK_PATTERN = r"\S"
"""Schema pattern of a text trimmed before ``min_length`` counts: only whitespace is too short."""


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


class ImageGenerationRequest(BaseModel):
    """``POST /api/customizations/generate-ai-image``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    prompt: str = Field(
        min_length=1, max_length=MAX_PROMPT_CHARS, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )
    aspect_ratio: Literal["1:1"] = "1:1"
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    """A conversation of the caller's: the picture becomes its order's cake picture."""


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
