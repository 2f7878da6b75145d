"""``POST /api/voice/analyze`` and ``POST /api/voice/stt`` (CONTRACT sections 2.1, 2.2)."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import DataSource, validate_request, validate_response

from quart_app.auth import optional_principal
from quart_app.errors import ApiError
from quart_app.extensions import get_settings
from quart_app.schemas.voice import (
    SpeechText,
    SpeechUpload,
    VoiceAnalysisResponse,
    VoiceInputRequest,
)
from quart_app.services.voice_audio import read_audio
from quart_app.services.voice_runtime import get_voice

bp = Blueprint("voice", __name__, url_prefix="/api/voice")

STT_PATH = "/api/voice/stt"


@bp.post("/analyze")
@validate_request(VoiceInputRequest)
@validate_response(VoiceAnalysisResponse)
async def analyze(data: VoiceInputRequest) -> VoiceAnalysisResponse:
    """Answer one customer utterance within a conversation (null ``session_id`` starts one)."""
    return await get_voice().conversations.analyze(data, optional_principal())


@bp.post("/stt")
@validate_request(SpeechUpload, source=DataSource.FORM_MULTIPART)
@validate_response(SpeechText)
async def speech_to_text(data: SpeechUpload) -> SpeechText:
    """Transcribe the uploaded ``audio`` (25 MiB at most) in ``language`` or a detected one."""
    if data.audio is None:
        raise ApiError(
            400, "missing_audio", "Send multipart/form-data with a file field named 'audio'."
        )
    audio = read_audio(data.audio, max_bytes=get_settings().max_audio_bytes)
    result = await get_voice().ai.send_stt_request(
        audio.data, filename=audio.filename, mime_type=audio.mime_type, language=data.language
    )
    return SpeechText(text=result.text, language=result.language or data.language)
