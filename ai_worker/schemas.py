"""Payloads the engines accept and the ``llm`` result they give, as pydantic models."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ai_worker.errors import BadRequest
from domain.stages import Decision, Stage

_Model = TypeVar("_Model", bound=BaseModel)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SttPayload(_Lenient):
    audio_b64: str
    filename: str | None = None
    mime_type: str | None = None
    language: str | None = None
    prompt: str | None = Field(default=None, max_length=1000)


def read_stt_payload(payload: dict[str, Any]) -> tuple[SttPayload, bytes]:
    """The ``stt`` payload and its decoded audio, or :class:`BadRequest`."""
    request = read_payload(SttPayload, payload)
    try:
        return request, base64.b64decode(request.audio_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("audio_b64 is not standard base64") from None


class ImagePayload(_Lenient):
    prompt: str = Field(min_length=1, max_length=2000)
    aspect_ratio: Literal["1:1"] = "1:1"


class LlmContext(_Lenient):
    messages: list[dict[str, Any]] = Field(default_factory=list)
    stage: Stage = Stage.GREETING
    order_state: dict[str, Any] = Field(default_factory=dict)
    order_history: dict[str, Any] = Field(default_factory=dict)
    active_events: list[dict[str, Any]] = Field(default_factory=list)
    catalog: dict[str, Any]
    language: str | None = None
    context_summary: str | None = None
    order_state_summary: str | None = None


class LlmPayload(_Lenient):
    transcript: str
    user_id: str | None = None
    session_id: str | None = None
    context: LlmContext


class MenuSuggestion(_Lenient):
    code: str
    name: str
    description: str = ""
    price: int = 0
    reason: str = ""


class OrderState(_Lenient):
    menu_code: str | None = None
    style_code: str | None = None
    quantity: int | None = None
    customizations: dict[str, int] = Field(default_factory=dict)


class LlmResult(_Lenient):
    """The ``llm`` result: the fields of ``VoiceAnalysisResponse`` but ``session_id``."""

    intent: str = "unknown"
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    response: str
    analysis: dict[str, Any] = Field(default_factory=dict)
    recommended_menu: MenuSuggestion | None = None
    alternatives: list[MenuSuggestion] = Field(default_factory=list)
    additional_questions: list[str] = Field(default_factory=list)
    order_state: OrderState = Field(default_factory=lambda: OrderState())
    state: Stage
    state_decision: Decision = Decision.STAY
    menu_selection: int | None = None
    style_selection: int | None = None
    quantity: int | None = None
    customization_overrides: dict[str, int] = Field(default_factory=dict)


def read_payload(model: type[_Model], payload: dict[str, Any]) -> _Model:
    """``payload`` as ``model``, or :class:`BadRequest` naming the bad fields."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "payload" for e in exc.errors())
        raise BadRequest(f"bad payload fields: {fields}") from None
