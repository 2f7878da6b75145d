"""Hands-free talk (docs/contract.md §7): a socket's audio streamed to the AI Server,
its transcripts relayed back, and each final utterance answered through the same
conversation path as ``POST /api/voice/analyze``.

One :class:`HandsFree` per instance opens streams; each
:class:`HandsFreeStream` is one socket's, driven by two loops the view runs
side by side: :meth:`HandsFreeStream.audio` for what the client sends and
:meth:`HandsFreeStream.relay` for what the AI Server publishes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bus.ai import AIRequester, AIResultError
from bus.ai_messages import (
    SAMPLE_RATE,
    FinalText,
    PartialText,
    SpeechStarted,
    StreamAccepted,
    StreamClosed,
    SttStreamPayload,
)
from bus.ai_stream import SpeechStream, open_speech_stream
from bus.base import Bus, BusError, BusTimeout
from domain.errors import DomainError
from quart_app.schemas.voice import VoiceInputRequest
from quart_app.services.voice.ai_client import BadAIResult
from quart_app.services.voice.analyze import OrderPermit, VoiceService
from quart_app.services.voice.errors import StreamRefused, TooManyStreams

log = logging.getLogger(__name__)

BYTES_PER_MS = 2 * SAMPLE_RATE // 1000
MIN_FRAME_MS = 10
MAX_FRAME_MS = 250
AHEAD_ALLOWED = 1.0
"""Seconds of audio a client may send ahead of real time before its reads are paused."""

Send = Callable[[dict[str, Any]], Awaitable[None]]
Spend = Callable[[], Awaitable[str | None]]
"""Spends one analyze call of the caller's budget; a refusal's message, or ``None``."""
Describe = Callable[[Exception], tuple[str, str] | None]
"""The contract's ``(code, message)`` for an error a turn raised, ``None`` if unknown."""


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """What a hands-free stream may do (settings)."""

    ai_timeout: float
    endpoint_ms: int
    max_utterance_s: float
    max_per_caller: int
    worker_check_every: float
    """Seconds between two looks at the heartbeat key of the worker serving a stream."""


class BadAudio(Exception):
    """A binary frame that is not 10 to 250 ms of 16-bit PCM."""


class AIServerLost(Exception):
    """The worker that accepted the stream is no longer alive (its heartbeat key is gone)."""


def check_frame(pcm: bytes) -> None:
    """Refuse a frame of an odd byte count, or shorter than 10 ms or longer than 250 ms."""
    if len(pcm) % 2:
        raise BadAudio("An audio frame must hold whole 16-bit samples (an even byte count).")
    milliseconds = len(pcm) / BYTES_PER_MS
    if not MIN_FRAME_MS <= milliseconds <= MAX_FRAME_MS:
        raise BadAudio(
            f"An audio frame must hold {MIN_FRAME_MS} to {MAX_FRAME_MS} ms of audio "
            f"at {SAMPLE_RATE} Hz, not {milliseconds:g} ms."
        )


class Pacer:
    """Holds a client to real time: audio may run at most ``ahead`` s ahead of the
    time since the first frame; :meth:`wait` says how long to pause reading."""

    def __init__(self, *, ahead: float = AHEAD_ALLOWED, clock: Callable[[], float]) -> None:
        self._ahead = ahead
        self._clock = clock
        self._started: float | None = None
        self._bytes = 0

    def wait(self, pcm: bytes) -> float:
        """Count ``pcm``; the seconds to wait before reading the next frame."""
        now = self._clock()
        if self._started is None:
            self._started = now
        self._bytes += len(pcm)
        audio = self._bytes / BYTES_PER_MS / 1000
        return max(0.0, audio - (now - self._started) - self._ahead)


class HandsFree:
    """Opens this instance's hands-free streams, at most ``max_per_caller`` per caller."""

    def __init__(
        self,
        bus: Bus,
        requester: AIRequester,
        conversations: VoiceService,
        limits: StreamLimits,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._requester = requester
        self._conversations = conversations
        self.limits = limits
        self._clock = clock
        self._open: Counter[str] = Counter()

    @contextmanager
    def slot(self, caller: str) -> Iterator[None]:
        """Hold one of ``caller``'s streams; :class:`TooManyStreams` past the cap."""
        if self._open[caller] >= self.limits.max_per_caller:
            raise TooManyStreams(self.limits.max_per_caller)
        self._open[caller] += 1
        try:
            yield
        finally:
            self._open[caller] -= 1
            if not self._open[caller]:
                del self._open[caller]

    async def open(
        self,
        user_id: str | None,
        session_id: str | None,
        language: str | None,
        *,
        permit: OrderPermit,
    ) -> HandsFreeStream:
        """A stream in conversation ``session_id`` of ``user_id`` (``None``: a new one),
        once an AI Server accepted it; :class:`StreamRefused` if none did in time.
        Raises the conversation's refusals as a turn does; its turns ask ``permit``
        before they place an order."""
        if session_id is None:
            session_id = await self._conversations.start(user_id)
        else:
            await self._conversations.speaker(session_id, user_id)
        prompt = await self._conversations.recognition_prompt(language, session_id, user_id)
        payload = SttStreamPayload(
            audio_key="-",
            language=language,
            prompt=prompt,
            endpoint_ms=self.limits.endpoint_ms,
            max_utterance_s=self.limits.max_utterance_s,
        )
        try:
            stream = await open_speech_stream(
                self._bus,
                self._requester,
                payload,
                timeout=self.limits.ai_timeout,
                clock=self._clock,
            )
        except BusError as error:
            raise StreamRefused(str(error)) from None
        try:
            event = await stream.next_event(self.limits.ai_timeout)
            if not isinstance(event, StreamAccepted):
                raise StreamRefused(f"the AI Server began with {event!r}, not accepted")
        except (BusError, StreamRefused) as error:
            await stream.close()
            raise StreamRefused(str(error) or "no AI Server took the stream in time") from None
        return HandsFreeStream(
            stream,
            self._conversations,
            self.limits,
            worker=event.worker,
            user_id=user_id,
            session_id=session_id,
            language=language,
            permit=permit,
            clock=self._clock,
        )


class HandsFreeStream:
    """One socket's stream (see the module's docstring)."""

    def __init__(
        self,
        stream: SpeechStream,
        conversations: VoiceService,
        limits: StreamLimits,
        *,
        worker: str | None = None,
        user_id: str | None,
        session_id: str,
        language: str | None,
        permit: OrderPermit,
        clock: Callable[[], float],
    ) -> None:
        self._stream = stream
        self._permit = permit
        self._conversations = conversations
        self._limits = limits
        self._worker = worker
        self._user_id = user_id
        self.session_id = session_id
        self.stream_id = stream.request_id
        self._language = language
        self._pacer = Pacer(clock=clock)
        self._ended = False

    async def audio(self, pcm: bytes) -> None:
        """Forward one checked frame (:func:`check_frame`), pausing a client that runs
        ahead of real time."""
        check_frame(pcm)
        await self._stream.send_audio(pcm)
        pause = self._pacer.wait(pcm)
        if pause > 0:
            await asyncio.sleep(pause)

    async def end(self) -> None:
        """No more audio: the AI Server finishes the utterance in progress, then closes."""
        if not self._ended:
            self._ended = True
            await self._stream.end()

    async def close(self) -> None:
        """End the audio if that was not done (a dropped socket), and stop listening."""
        try:
            await self.end()
        except BusError as error:
            log.warning("could not end stream %s: %s", self.stream_id, error)
        finally:
            await self._stream.close()

    async def watch_ai_server(self) -> None:
        """Raise :class:`AIServerLost` once the worker that accepted the stream is gone
        (it named itself in ``accepted``; its heartbeat key expired or was deleted),
        looking every ``worker_check_every`` s; never returns. An AI Server that named
        no worker is not watched: only ``ai_timeout`` (see :meth:`relay`) applies."""
        worker = self._worker
        if worker is None:
            await asyncio.Future()  # until cancelled
            return
        while True:
            await asyncio.sleep(self._limits.worker_check_every)
            if not await self._stream.worker_alive(worker):
                raise AIServerLost(f"AI worker {worker} of stream {self.stream_id} is gone")

    async def relay(self, send: Send, spend: Spend, describe: Describe) -> None:
        """Send the client each event as a frame, and the answer to each final, until the
        AI Server closes the stream. An AI Server silent for ``ai_timeout`` s while an
        utterance is in progress or after the end raises :class:`BusTimeout`;
        an error it publishes ends the stream (:class:`bus.ai.AIResultError`)."""
        speaking = False
        while True:
            waiting = speaking or self._ended
            event = await self._stream.next_event(self._limits.ai_timeout if waiting else None)
            if event is None:
                raise BusTimeout(f"the AI Server went silent on stream {self.stream_id}")
            if isinstance(event, SpeechStarted):
                speaking = True
                await send({"type": "speech_started", "utterance": event.utterance})
            elif isinstance(event, PartialText):
                await send({"type": "partial", "utterance": event.utterance, "text": event.text})
            elif isinstance(event, FinalText):
                speaking = False
                await send({"type": "final", "utterance": event.utterance, "text": event.text})
                await self._answer(event, send, spend, describe)
            elif isinstance(event, StreamClosed):
                return

    async def _answer(self, final: FinalText, send: Send, spend: Spend, describe: Describe) -> None:
        text = final.text.strip()
        if not text:
            return
        refused = await spend()
        if refused is not None:
            await send({"type": "error", "code": "rate_limited", "message": refused})
            return
        request = VoiceInputRequest(
            transcript=text, user_id=self._user_id, session_id=self.session_id
        )
        try:
            answer = await self._conversations.analyze(request, self._user_id, permit=self._permit)
        except (DomainError, BusError, AIResultError, BadAIResult) as error:
            code, message = describe(error) or ("internal_error", "The turn failed.")
            await send({"type": "error", "code": code, "message": message})
            return
        await send(
            {
                "type": "reply",
                "utterance": final.utterance,
                "analysis": answer.model_dump(mode="json"),
            }
        )
        # The stage moved: the utterances that follow expect other words.
        prompt = await self._conversations.recognition_prompt(
            self._language, self.session_id, self._user_id
        )
        if not self._ended:
            await self._stream.send_prompt(prompt)
