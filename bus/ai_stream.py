"""Streaming speech over the bus (docs/contract.md §1.5), as the service drives it.

:func:`open_speech_stream` pushes one ``stt_stream`` request; the returned
:class:`SpeechStream` appends audio, prompts and the end to the request's
Redis stream, and yields the AI Server's events as they are published on its
``reply_to`` (routed by the process's one :class:`bus.ai.AIRequester`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bus.ai import AIRequester, MalformedAIResult, make_request_message, parse_result
from bus.ai_messages import END_FIELD, PCM_FIELD, PROMPT_FIELD, StreamEvent, SttStreamPayload
from bus.base import Bus, BusError, Data
from bus.keys import STT_STREAM, ai_audio, ai_worker_alive

AUDIO_TTL = 120.0
"""Seconds an audio stream lives after its last entry."""
AUDIO_MAXLEN = 1000
"""Entries an audio stream keeps (about: ``MAXLEN ~``); at 20 ms a chunk, 20 s of audio."""
MAX_PENDING_EVENTS = 256
"""Events held for a reader that has not taken them; past it the oldest are dropped."""

_EVENT: TypeAdapter[Any] = TypeAdapter(StreamEvent)


class SpeechStream:
    """One ``stt_stream`` request: audio in, events out. Close it when done."""

    def __init__(self, bus: Bus, requester: AIRequester, request_id: str) -> None:
        self._bus = bus
        self._requester = requester
        self.request_id = request_id
        self.audio_key = ai_audio(request_id, tagged=bus.sharded)
        self._pending: deque[bytes] = deque(maxlen=MAX_PENDING_EVENTS)
        self._failure: BusError | None = None
        self._arrived = asyncio.Event()

    # what the AIRequester hands over (bus.ai.ResultListener) ----------------------------
    def deliver(self, raw: bytes) -> None:
        self._pending.append(raw)
        self._arrived.set()

    def fail(self, error: BusError) -> None:
        self._failure = error
        self._arrived.set()

    # the audio ----------------------------------------------------------------------------
    async def send_audio(self, pcm: bytes) -> None:
        """Append one chunk of PCM."""
        await self._append(PCM_FIELD, pcm)

    async def send_prompt(self, prompt: str) -> None:
        """Bias the utterances that follow with ``prompt``."""
        await self._append(PROMPT_FIELD, prompt)

    async def end(self) -> None:
        """The audio is over: the AI Server finishes the utterance in progress, then closes."""
        await self._append(END_FIELD, b"")

    async def _append(self, field: str, value: Data) -> None:
        await self._bus.stream_add(
            self.audio_key, {field: value}, maxlen=AUDIO_MAXLEN, ttl=AUDIO_TTL
        )

    # the events ---------------------------------------------------------------------------
    async def next_event(self, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """The next event (a model of :data:`bus.ai_messages.StreamEvent`), or ``None``
        after ``timeout`` s without one. Raises :class:`bus.ai.AIResultError` for an
        error reply (it ends the stream), :class:`MalformedAIResult` for a reply that
        isn't an event, and the bus's error once replies can no longer arrive."""
        while not self._pending:
            if self._failure is not None:
                raise self._failure
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                return None
        result = parse_result(self.request_id, self._pending.popleft())
        try:
            return _EVENT.validate_python(result)
        except ValidationError:
            raise MalformedAIResult(
                f"the AI stream event {result.get('event')!r} is malformed"
            ) from None

    async def worker_alive(self, worker: str) -> bool:
        """Whether AI worker ``worker``'s heartbeat key (``ai:alive:<worker>``) is there."""
        return await self._bus.get(ai_worker_alive(worker)) is not None

    async def close(self) -> None:
        """Stop taking events; the audio stream expires by itself."""
        await self._requester.stop_listening(self.request_id)


async def open_speech_stream(
    bus: Bus,
    requester: AIRequester,
    payload: SttStreamPayload,
    *,
    timeout: float,  # noqa: ASYNC109 - the request's deadline, not a wait
    clock: Callable[[], float],
) -> SpeechStream:
    """Push a ``stt_stream`` request whose audio goes on a new stream (``payload``'s
    ``audio_key`` is replaced by it); ``timeout`` is its deadline. Raises as
    :meth:`bus.ai.AIRequester.request` does before waiting."""
    message = make_request_message(STT_STREAM, {}, timeout=timeout, clock=clock, tagged=bus.sharded)
    stream = SpeechStream(bus, requester, message["request_id"])
    message["payload"] = payload.model_copy(update={"audio_key": stream.audio_key}).model_dump(
        mode="json"
    )
    await requester.send_listened(message, stream)
    return stream
