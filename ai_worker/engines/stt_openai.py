"""The ``openai`` STT engine: any OpenAI-compatible ``/audio/transcriptions`` endpoint.

The request's ``prompt`` (the catalog's names, what the conversation expects)
goes as the API's own ``prompt`` field, which biases recognition the same way.
"""

from __future__ import annotations

from typing import Any

from ai_worker.engines.openai_http import OpenAIClient
from ai_worker.errors import UpstreamError
from ai_worker.requests import read_stt_payload
from bus.ai_messages import SttResult
from config.worker import WorkerSettings

DEFAULT_MODEL = "whisper-1"


class OpenAISttEngine:
    """Transcribes through ``config.stt_base_url`` (``STT_MODEL`` names the model)."""

    def __init__(self, config: WorkerSettings) -> None:
        self._model = config.stt_model or DEFAULT_MODEL
        self._client = OpenAIClient(
            config.stt_base_url or "", config.stt_api_key, config.ai_worker_http_timeout
        )

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        request, audio = read_stt_payload(payload)
        fields = {"model": self._model, "response_format": "json"}
        if request.language:
            fields["language"] = request.language
        if request.prompt:
            fields["prompt"] = request.prompt
        upload = (
            request.filename or "audio",
            audio,
            request.mime_type or "application/octet-stream",
        )
        reply = await self._client.post("/audio/transcriptions", fields, {"file": upload})
        text = reply.get("text")
        if not isinstance(text, str):
            raise UpstreamError("the transcription endpoint answered no text")
        language = reply.get("language")
        result = SttResult(
            text=text.strip(),
            language=language if isinstance(language, str) else request.language,
        )
        return result.model_dump(exclude_unset=True)  # the duration is not known

    async def close(self) -> None:
        await self._client.close()
