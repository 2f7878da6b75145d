"""``POST /api/voice/analyze`` and ``POST /api/voice/stt`` (docs/contract.md §2.1, §2.2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from pydantic import ValidationError
from quart import Blueprint, Response, request
from quart_schema import (
    DataSource,
    RequestSchemaValidationError,
    document_request,
    document_response,
    validate_request,
    validate_response,
)

from quart_app.auth import caller_id, optional_principal, optional_user_id
from quart_app.errors import ApiError
from quart_app.extensions import get_settings, get_voice
from quart_app.openapi import MULTIPART, document_part_types
from quart_app.rate_limit_hook import order_permit, request_caller
from quart_app.schemas.speech_upload import SpeechUpload
from quart_app.schemas.voice import (
    MAX_TRANSCRIPT_CHARS,
    SpeechText,
    VoiceAnalysisResponse,
    VoiceInputRequest,
)
from quart_app.services.voice.audio import AUDIO_TYPES, read_audio

bp = Blueprint("voice", __name__, url_prefix="/api/voice")

STT_PATH = "/api/voice/stt"

_T = TypeVar("_T")


@bp.post("/analyze")
@document_request(VoiceInputRequest)
@document_response(VoiceAnalysisResponse)
async def analyze() -> Response:
    """Answer one customer utterance within a conversation (null ``session_id`` starts one)."""
    # The hot path validates and serializes with pydantic directly: quart-schema
    # builds a TypeAdapter per call, a large share of this endpoint's time
    # (bench/README.md, "Voice API").
    try:
        data = VoiceInputRequest.model_validate(
            await request.get_json(),
            context={MAX_TRANSCRIPT_CHARS: get_settings().max_transcript_chars},
        )
    except ValidationError as error:
        raise RequestSchemaValidationError(error) from None
    principal = optional_principal()
    user_id = caller_id(data.user_id, principal)
    permit = order_permit(principal, lambda: request_caller(principal))
    answer = await get_voice().conversations.analyze(data, user_id, permit=permit)
    return Response(answer.model_dump_json(), content_type="application/json")


def _multipart_only(view: Callable[..., Awaitable[_T]]) -> Callable[..., Awaitable[_T]]:
    """415 ``unsupported_media_type`` for a body that isn't multipart, before it is read."""

    @wraps(view)
    async def checked(*args: Any, **kwargs: Any) -> _T:
        if request.mimetype != MULTIPART:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"Send the audio as {MULTIPART}.",
                {"content_type": request.content_type},
            )
        return await view(*args, **kwargs)

    return checked


@bp.post("/stt")
@_multipart_only
@validate_request(SpeechUpload, source=DataSource.FORM_MULTIPART)
@document_part_types(audio=AUDIO_TYPES)
@validate_response(SpeechText)
async def speech_to_text(data: SpeechUpload) -> SpeechText:
    """Transcribe the uploaded ``audio`` (25 MiB at most) in ``language`` or a detected one;
    ``session_id`` (a conversation of the caller's) sharpens the recognition prompt."""
    if data.audio is None:
        raise ApiError(
            400, "missing_audio", "Send multipart/form-data with a file field named 'audio'."
        )
    audio = read_audio(data.audio, max_bytes=get_settings().max_audio_bytes)
    voice = get_voice()
    prompt = await voice.conversations.recognition_prompt(
        data.language, data.session_id, optional_user_id()
    )
    result = await voice.ai.send_stt_request(audio, language=data.language, prompt=prompt)
    return SpeechText(text=result.text, language=result.language or data.language)
