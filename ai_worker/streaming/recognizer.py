"""One ``stt_stream`` request served (docs/contract.md §1.5): audio read as it grows,
speech found frame by frame, partials while it goes on, a final when it stops.

The final costs almost nothing when it is due: as soon as a pause follows speech
(:data:`TAIL_AFTER_FRAMES` silent frames), the utterance so far is decoded (with
the beam, as the final will be) while the endpoint silence runs; if no speech came back by the
endpoint, that decode *is* the final, and if it is done before the endpoint it
is published as a partial too (the customer may only have paused). Partials
between, one at a time per stream (a stream never queues decodes behind
itself), wait behind every final and use the engine's cheaper partial
decoding, which can take several streams' partials at once (:class:`Decoder`). A final encodes a
short utterance in a window of ``STT_STREAM_WINDOW_S`` rather than whisper's
30 s, about half the cost (15 s by default): without it a decode on this 2-core machine cost
0.6-0.7 s of CPU, more than the endpoint silence, however short the utterance.

The audio goes through a high-pass filter (:mod:`ai_worker.streaming.highpass`)
before the VAD and the decodes hear it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ai_worker.streaming.highpass import HighPass
from ai_worker.streaming.vad import FRAME, Samples, SileroVad, Turn, TurnDetector, VadState
from bus.ai import RESULT_TTL
from bus.ai_messages import (
    END_FIELD,
    PCM_FIELD,
    PROMPT_FIELD,
    SAMPLE_RATE,
    ErrorBody,
    ErrorReply,
    OkReply,
    SttStreamPayload,
)
from bus.base import Bus
from bus.keys import ai_stream_final

log = logging.getLogger(__name__)

PARTIAL_EVERY = 0.3
"""Seconds of new speech between two partial decodes."""
TAIL_AFTER_FRAMES = 3
"""Silent VAD frames (32 ms each) after speech before the utterance so far is decoded
as its final may be: a dip between syllables is not a pause, and a decode started at
each one was thrown away when speech went on, at the cost of other streams' partials
(bench/README.md, "Hands-free")."""
PRE_ROLL = 0.2
"""Seconds of audio kept before the detected start: the first sound of a word."""
READ_BLOCK = 1.0
AUDIO_GONE = 120.0
"""Seconds without an entry after which the audio is taken as abandoned (its key expired,
docs/contract.md §1.5): the stream ends with the error :data:`AUDIO_GONE_CODE`."""
AUDIO_GONE_CODE = "audio_timeout"
_SAMPLES_PER_MS = SAMPLE_RATE // 1000


class Transcriber(Protocol):
    """The speech engine (:class:`ai_worker.engines.stt_whisper.WhisperEngine`)."""

    def transcribe_samples(
        self,
        samples: Samples,
        language: str | None,
        prompt: str | None,
        *,
        beam_size: int,
        vad: bool,
        window_s: float | None = None,
    ) -> tuple[str, str | None]: ...

    def transcribe_partials(
        self, requests: Sequence[tuple[Samples, str | None, str | None]]
    ) -> list[tuple[str, str | None]]: ...


PARTIAL_BATCH = 1
"""The most partials decoded in one call. One: on this 2-core machine four in one call
cost about 0.14 s against 0.05 s for one (1.5 times the throughput, alone), but the
capacity bench was no better for it, and a final due meanwhile waits for the whole
batch (bench/README.md, "Hands-free"). A GPU may gain from more."""


@dataclass(eq=False)
class _Partial:
    samples: Samples
    language: str | None
    prompt: str | None
    text: asyncio.Future[tuple[str, str | None]]


class Decoder:
    """Runs decodes in threads, at most ``parallel`` at once across every stream.

    A final (or the decode that may become one) waiting for a slot goes before
    every waiting partial: a customer who stopped speaking is answered before
    other streams' words so far are refreshed. The partials waiting are decoded
    together, up to :data:`PARTIAL_BATCH` in the order they were asked for, in one
    call of the engine's cheaper partial decoding. A slot is held until its thread
    ends, even when the caller stops waiting: a thread can't be stopped, and
    a decode started beside it would only slow both down.
    """

    def __init__(
        self,
        engine: Transcriber,
        *,
        beam_size: int,
        parallel: int = 1,
        window_s: float | None = None,
        partial_batch: int = PARTIAL_BATCH,
    ) -> None:
        self._engine = engine
        self._beam_size = beam_size
        self._window_s = window_s
        self._partial_batch = partial_batch
        self._free = parallel
        self._finals: deque[asyncio.Future[None]] = deque()
        self._partials: deque[_Partial] = deque()

    @property
    def waiting(self) -> int:
        """Decodes waiting for a slot now."""
        return len(self._finals) + len(self._partials)

    async def warm(self) -> None:
        """Load the model (a decode of one second of silence)."""
        await self.decode(np.zeros(SAMPLE_RATE, dtype=np.float32), None, None, final=False)

    async def decode(
        self, samples: Samples, language: str | None, prompt: str | None, *, final: bool
    ) -> tuple[str, str | None]:
        """The text of ``samples``: with the beam for a final, the partial decoding
        (batched with other streams' partials) for a partial."""
        if not final:
            partial = _Partial(
                samples, language, prompt, asyncio.get_running_loop().create_future()
            )
            self._partials.append(partial)
            self._hand_on()
            try:
                return await asyncio.shield(partial.text)
            finally:
                if partial in self._partials:
                    self._partials.remove(partial)
                partial.text.cancel()  # if its caller left: nobody reads its text
        await self._acquire()
        thread = asyncio.ensure_future(
            asyncio.to_thread(
                self._engine.transcribe_samples,
                samples,
                language,
                prompt,
                beam_size=self._beam_size,
                vad=False,
                window_s=self._window_s,
            )
        )
        thread.add_done_callback(self._release)
        return await asyncio.shield(thread)

    async def _acquire(self) -> None:
        if self._free and not self._finals:
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._finals.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn in self._finals:
                self._finals.remove(turn)
            elif not turn.cancelled():
                self._free += 1  # the slot came to this caller as it left
                self._hand_on()
            raise

    def _release(self, thread: asyncio.Future[Any]) -> None:
        if not thread.cancelled():
            thread.exception()  # a caller that left never reads it
        self._free += 1
        self._hand_on()

    def _hand_on(self) -> None:
        """Give the free slots out: to the finals waiting, then to batches of partials."""
        while self._free:
            if self._finals:
                turn = self._finals.popleft()
                if not turn.done():  # else its caller left: it is on its way out
                    self._free -= 1
                    turn.set_result(None)
            elif self._partials:
                batch = [
                    self._partials.popleft()
                    for _ in range(min(self._partial_batch, len(self._partials)))
                ]
                self._free -= 1
                self._decode_partials(batch)
            else:
                return

    def _decode_partials(self, batch: list[_Partial]) -> None:
        requests = [(partial.samples, partial.language, partial.prompt) for partial in batch]
        thread = asyncio.ensure_future(
            asyncio.to_thread(self._engine.transcribe_partials, requests)
        )

        def done(thread: asyncio.Future[list[tuple[str, str | None]]]) -> None:
            error = None if thread.cancelled() else thread.exception()
            for index, partial in enumerate(batch):
                if partial.text.done():
                    continue
                if thread.cancelled():
                    partial.text.cancel()
                elif error is not None:
                    partial.text.set_exception(error)
                else:
                    partial.text.set_result(thread.result()[index])
            self._release(thread)

        thread.add_done_callback(done)


class StreamRecognizer:
    """Serves one request: ``accepted``, then events until ``end``, then ``closed``."""

    def __init__(
        self,
        bus: Bus,
        request_id: str,
        reply_to: str,
        payload: SttStreamPayload,
        vad: SileroVad,
        decoder: Decoder,
        *,
        worker: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus = bus
        self._worker = worker
        self._request_id = request_id
        self._reply_to = reply_to
        self._payload = payload
        self._prompt = payload.prompt
        self._vad = vad
        self._vad_state = VadState()
        self._decoder = decoder
        self._clock = clock
        frame_ms = FRAME / _SAMPLES_PER_MS
        self._turns = TurnDetector(
            endpoint_frames=round(payload.endpoint_ms / frame_ms),
            max_frames=round(payload.max_utterance_s * 1000 / frame_ms),
        )
        self._high_pass = HighPass(SAMPLE_RATE)
        self._pending = np.zeros(0, dtype=np.float32)
        self._recent: list[Samples] = []
        self._utterance: list[Samples] = []
        self._number = 0
        self._partial: asyncio.Task[None] | None = None
        self._partial_at = 0
        self._tail: tuple[int, asyncio.Task[tuple[str, str | None]]] | None = None

    async def run(self) -> None:
        """Read the audio until ``end`` (or until it is abandoned: no entry for
        :data:`AUDIO_GONE` s, then an error result), publishing events."""
        last, heard = "0", self._clock()
        accepted: dict[str, Any] = {"event": "accepted"}
        if self._worker is not None:
            accepted["worker"] = self._worker  # this service's extension of §1.5
        await self._publish(accepted)
        try:
            while True:
                entries = await self._bus.stream_read(
                    self._payload.audio_key, last, count=100, block=READ_BLOCK
                )
                if not entries:
                    if self._clock() - heard > AUDIO_GONE:
                        log.info("stream %s abandoned", self._request_id)
                        await self._publish_error(AUDIO_GONE_CODE, f"no audio for {AUDIO_GONE:g} s")
                        return
                    continue
                heard = self._clock()
                for entry in entries:
                    last = entry.id
                    if PROMPT_FIELD in entry.fields:
                        self._prompt = entry.fields[PROMPT_FIELD].decode(errors="replace")
                    if PCM_FIELD in entry.fields:
                        await self._hear(entry.fields[PCM_FIELD])
                    if END_FIELD in entry.fields:
                        if self._turns.speaking:
                            await self._final()
                        await self._publish({"event": "closed"})
                        return
        finally:
            for task in (self._partial, self._tail[1] if self._tail else None):
                if task is not None:
                    task.cancel()

    async def _hear(self, pcm: bytes) -> None:
        usable = len(pcm) - len(pcm) % 2
        samples = np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0
        self._pending = np.concatenate((self._pending, self._high_pass(samples)))
        while self._pending.size >= FRAME:
            frame, self._pending = self._pending[:FRAME], self._pending[FRAME:]
            await self._frame(frame)

    async def _frame(self, frame: Samples) -> None:
        was_silent = self._turns.silence
        turn = self._turns.step(self._vad.probability(self._vad_state, frame))
        if turn is Turn.STARTED:
            self._utterance = [*self._recent, frame]
            self._partial_at = 0
            start_ms = _ms(self._turns.started)
            await self._publish(
                {"event": "speech_started", "utterance": self._number, "start_ms": start_ms}
            )
        elif turn is Turn.ENDED:
            self._utterance.append(frame)
            await self._final()
        elif self._turns.speaking:
            self._utterance.append(frame)
            if self._turns.silence == TAIL_AFTER_FRAMES and was_silent == TAIL_AFTER_FRAMES - 1:
                self._decode_tail()
            elif not self._turns.silence:
                self._maybe_partial()
        self._recent = [*self._recent, frame][-round(PRE_ROLL * SAMPLE_RATE / FRAME) :]

    def _speech(self) -> Samples:
        """The utterance up to where its speech stopped (or up to now while it goes on)."""
        audio = np.concatenate(self._utterance) if self._utterance else np.zeros(0, np.float32)
        trailing = self._turns.silence * FRAME
        return audio[: audio.size - trailing] if trailing else audio

    def _maybe_partial(self) -> None:
        heard = len(self._utterance) * FRAME
        if self._partial is not None and not self._partial.done():
            return
        if heard - self._partial_at < PARTIAL_EVERY * SAMPLE_RATE:
            return
        self._partial_at = heard
        self._partial = asyncio.create_task(self._send_partial(self._number, self._speech()))

    async def _send_partial(self, number: int, speech: Samples) -> None:
        text, _ = await self._decoder.decode(
            speech, self._payload.language, self._prompt, final=False
        )
        if text and number == self._number and self._turns.speaking:
            await self._publish({"event": "partial", "utterance": number, "text": text})

    def _decode_tail(self) -> None:
        speech = self._speech()
        if self._tail is not None:
            self._tail[1].cancel()
        self._partial_at = len(self._utterance) * FRAME
        task = asyncio.create_task(self._tail_text(self._number, speech))
        self._tail = (speech.size, task)

    async def _tail_text(self, number: int, speech: Samples) -> tuple[str, str | None]:
        """The decode of the utterance up to a pause; done before the endpoint (the
        customer still pausing, or speaking again), it is the words so far: a partial,
        news during the pause, not lost."""
        text, language = await self._decoder.decode(
            speech, self._payload.language, self._prompt, final=True
        )
        if text and number == self._number and self._turns.speaking:
            await self._publish({"event": "partial", "utterance": number, "text": text})
        return text, language

    async def _final(self) -> None:
        speech = self._speech()
        tail, self._tail = self._tail, None
        if tail is not None and tail[0] == speech.size:
            text, language = await tail[1]
        else:
            if tail is not None:
                tail[1].cancel()
            text, language = await self._decoder.decode(
                speech, self._payload.language, self._prompt, final=True
            )
        if self._partial is not None:
            self._partial.cancel()
            self._partial = None
        start_ms, end_ms = _ms(self._turns.started), _ms(self._turns.frame - self._turns.silence)
        event = {"event": "final", "utterance": self._number, "text": text}
        event |= {"language": language, "start_ms": start_ms, "end_ms": end_ms}
        data = self._envelope(event)
        await self._bus.set(ai_stream_final(self._reply_to, self._number), data, ttl=RESULT_TTL)
        await self._bus.publish(self._reply_to, data)
        self._number += 1
        self._utterance = []

    def _envelope(self, result: dict[str, Any]) -> str:
        reply = OkReply(request_id=self._request_id, result=result)
        return json.dumps(reply.model_dump(mode="json"), ensure_ascii=False)

    async def _publish(self, result: dict[str, Any]) -> None:
        await self._bus.publish(self._reply_to, self._envelope(result))

    async def _publish_error(self, code: str, message: str) -> None:
        await self._bus.publish(self._reply_to, error_envelope(self._request_id, code, message))


def error_envelope(request_id: str, code: str, message: str) -> str:
    """The error result that ends stream ``request_id``, as published."""
    reply = ErrorReply(request_id=request_id, error=ErrorBody(code=code, message=message))
    return json.dumps(reply.model_dump(mode="json"))


def _ms(frames: int) -> int:
    """Where ``frames`` frames into the stream fall, in milliseconds."""
    return frames * FRAME // _SAMPLES_PER_MS
