"""The AI Server, as this service sees it: requests over the bus, results validated.

:class:`AIClient` builds each request's payload (docs/contract.md §1.2), sends it
through the process's one :class:`bus.ai.AIRequester` and reads the result
with the models of :mod:`bus.ai_messages` (:func:`read_result`); the ``llm`` request's
context comes from the caller (:mod:`quart_app.services.voice.context`). Bus failures propagate as
the bus raises them (``BusTimeout``, ``BusUnavailable``, ``BusOverloaded``,
``AIResultError``); a result of the wrong shape raises :class:`BadAIResult`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bus.ai import AIRequester, Base64File
from bus.ai_messages import ImageResult, LlmResult, SttResult
from domain.conversation import ConversationSession
from quart_app.errors import validation_details
from quart_app.observability.metrics import ai_round_trip
from quart_app.services.voice.audio import Audio

_Result = TypeVar("_Result", bound=BaseModel)


class BadAIResult(Exception):
    """The AI Server answered ``ok`` with a result this service can't accept."""

    def __init__(self, kind: str, problems: list[str]) -> None:
        super().__init__(f"the AI Server's {kind} result is malformed: {'; '.join(problems)}")
        self.kind = kind
        self.problems = problems


class AIClient:
    """Sends ``stt``, ``llm`` and ``image`` requests and waits up to ``timeout`` s for each."""

    def __init__(self, requester: AIRequester, *, timeout: float) -> None:
        self._requester = requester
        self._timeout = timeout

    async def wait_for_response(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one ``kind`` request and return its raw ``ok`` result."""
        return await self._requester.request(kind, payload, timeout=self._timeout)

    async def _ask(self, kind: str, model: type[_Result], payload: dict[str, Any]) -> _Result:
        with ai_round_trip(kind):  # metrics: in flight, outcome, latency
            return read_result(kind, model, await self.wait_for_response(kind, payload))

    async def send_stt_request(
        self, audio: Audio, *, language: str | None, prompt: str | None = None
    ) -> SttResult:
        """Transcribe ``audio``; ``language`` ``None`` lets the AI Server detect it,
        ``prompt`` names words the audio is likely to contain."""
        payload = {
            # Read from the upload's file as the request goes out: never held whole.
            "audio_b64": Base64File(audio.file, audio.size),
            "filename": audio.filename,
            "mime_type": audio.mime_type,
            "language": language,
            "prompt": prompt,
        }
        return await self._ask("stt", SttResult, payload)

    async def send_llm_request(
        self, transcript: str, session: ConversationSession, context: dict[str, Any]
    ) -> LlmResult:
        """Ask the LLM about ``transcript``, the next utterance of ``session``, in ``context``."""
        payload = {
            "transcript": transcript,
            "user_id": session.user_id,
            "session_id": session.session_id,
            "context": context,
        }
        return await self._ask("llm", LlmResult, payload)

    async def send_image_request(self, prompt: str, *, aspect_ratio: str = "1:1") -> ImageResult:
        """Generate an image for ``prompt``."""
        payload = {"prompt": prompt, "aspect_ratio": aspect_ratio}
        return await self._ask("image", ImageResult, payload)


def read_result(kind: str, model: type[_Result], raw: dict[str, Any]) -> _Result:
    """The ``result`` of an ``ok`` reply as ``model``, or :class:`BadAIResult`."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"{item['field'] or 'result'}: {item['message']}" for item in validation_details(error)
        ]
        raise BadAIResult(kind, problems) from None
