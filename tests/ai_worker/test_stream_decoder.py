"""The streaming worker's decodes: who gets the decoding slot, when a slot is free again,
what becomes of the decode at a pause, and whisper's encoder window for short
utterances."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ai_worker.engines.stt_whisper import WhisperEngine
from ai_worker.streaming.recognizer import TAIL_AFTER_FRAMES, Decoder, StreamRecognizer
from ai_worker.streaming.vad import FRAME, START_FRAMES, Samples, VadState
from bus.ai_messages import END_FIELD, PCM_FIELD, PROMPT_FIELD, SttStreamPayload
from bus.base import Subscription
from bus.keys import ai_audio
from bus.memory import MemoryBus
from config.worker import WorkerSettings
from tests.support.gated_engine import GatedEngine
from tests.support.waiting import WAIT, eventually

SECOND = np.zeros(16_000, dtype=np.float32)


def _decode(decoder: Decoder, *, final: bool) -> asyncio.Task[tuple[str, str | None]]:
    return asyncio.create_task(decoder.decode(SECOND, "en", None, final=final))


async def _occupied(engine: GatedEngine) -> tuple[Decoder, asyncio.Task[tuple[str, str | None]]]:
    """A decoder whose one slot a partial decode of ``engine`` holds, and that decode."""
    decoder = Decoder(engine, beam_size=5)
    running = _decode(decoder, final=False)
    await engine.started()
    return decoder, running


async def test_a_final_waiting_for_the_slot_goes_before_the_partials_waiting() -> None:
    engine = GatedEngine()
    decoder, running = await _occupied(engine)
    partial = _decode(decoder, final=False)
    final = _decode(decoder, final=True)
    await eventually(lambda: decoder.waiting == 2)

    engine.finish_one()
    await engine.started()

    assert engine.beams == [1, 5]
    assert not final.done()
    engine.finish_one()
    assert await final == ("beam 5", "en")
    await engine.started()
    engine.finish_one()
    assert [await running, await partial] == [("beam 1", "en")] * 2


async def test_a_caller_that_stops_waiting_keeps_the_slot_until_its_decode_ends() -> None:
    engine = GatedEngine()
    decoder = Decoder(engine, beam_size=5)
    abandoned = _decode(decoder, final=True)
    await engine.started()
    abandoned.cancel()
    with pytest.raises(asyncio.CancelledError):
        await abandoned

    final = _decode(decoder, final=True)
    await eventually(lambda: decoder.waiting == 1)
    engine.finish_one()
    await engine.started()
    engine.finish_one()

    assert await final == ("beam 5", "en")
    assert engine.most_at_once == 1


@pytest.mark.parametrize("final", [True, False], ids=["final", "partial"])
async def test_a_caller_that_leaves_while_waiting_gives_its_turn_to_the_next(final: bool) -> None:
    engine = GatedEngine()
    decoder, running = await _occupied(engine)
    leaving = _decode(decoder, final=final)
    partial = _decode(decoder, final=False)
    await eventually(lambda: decoder.waiting == 2)
    leaving.cancel()
    await eventually(lambda: decoder.waiting == 1)

    engine.finish_one()
    await engine.started()
    engine.finish_one()

    assert [await running, await partial] == [("beam 1", "en")] * 2
    assert engine.beams == [1, 1]
    assert engine.batches == [1, 1]  # a partial left waiting is not in the next batch


async def test_two_decoders_run_two_decodes_at_once() -> None:
    engine = GatedEngine()
    decoder = Decoder(engine, beam_size=5, parallel=2)
    first, second = _decode(decoder, final=False), _decode(decoder, final=True)
    await engine.started()
    await engine.started()
    third = _decode(decoder, final=False)
    await eventually(lambda: decoder.waiting == 1)

    engine.finish_all()

    assert [await first, await second, await third] == [
        ("beam 1", "en"),
        ("beam 5", "en"),
        ("beam 1", "en"),
    ]
    assert engine.most_at_once == 2


async def test_the_partials_waiting_are_decoded_together_a_batch_at_a_time() -> None:
    engine = GatedEngine()
    decoder = Decoder(engine, beam_size=5, partial_batch=4)
    first_final = _decode(decoder, final=True)
    await engine.started()
    partials = [_decode(decoder, final=False) for _ in range(6)]
    await eventually(lambda: decoder.waiting == 6)

    engine.finish_one()
    await engine.started()
    assert engine.batches == [4]
    late_final = _decode(decoder, final=True)
    await eventually(lambda: decoder.waiting == 3)
    engine.finish_one()
    await engine.started()
    engine.finish_one()
    await engine.started()
    engine.finish_one()

    assert await first_final == await late_final == ("beam 5", "en")
    assert [await partial for partial in partials] == [("beam 1", "en")] * 6
    # the final due while the first batch ran went before the partials left waiting
    assert engine.beams == [5, 1, 5, 1]
    assert engine.batches == [4, 2]
    assert engine.most_at_once == 1


@pytest.fixture(scope="module")
def engine() -> WhisperEngine:
    return WhisperEngine(WorkerSettings())


def _encoded_frames(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The frames whisper's encoder is given, decode by decode."""
    from faster_whisper import WhisperModel

    frames: list[int] = []
    encode = WhisperModel.encode

    def spy(model: WhisperModel, features: Any) -> Any:
        frames.append(features.shape[-1])
        return encode(model, features)

    monkeypatch.setattr(WhisperModel, "encode", spy)
    return frames


def test_an_utterance_that_fits_the_window_is_encoded_in_it(
    engine: WhisperEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = _encoded_frames(monkeypatch)
    two_seconds = np.concatenate((SECOND, SECOND))

    engine.transcribe_samples(two_seconds, "en", None, beam_size=1, vad=False, window_s=10)
    engine.transcribe_samples(two_seconds, "en", None, beam_size=1, vad=False, window_s=1.5)
    engine.transcribe_samples(two_seconds, "en", None, beam_size=1, vad=False)

    assert frames == [1000, 3000, 3000]


class LoudnessVad:
    """Stands in for Silero: a frame with any sound in it is speech."""

    def probability(self, state: VadState, frame: Samples) -> float:
        return 0.9 if float(np.abs(frame).max()) > 0.01 else 0.0


def _tone(hz: float, frames: int) -> bytes:
    """``frames`` VAD frames of a tone."""
    wave = 3000 * np.sin(2 * np.pi * hz * np.arange(frames * FRAME) / 16_000)
    return wave.astype("<i2").tobytes()


def _frames(*loud: bool) -> bytes:
    """PCM of one VAD frame per item: a tone in the speech band where ``True``, silence
    where ``False``."""
    return b"".join(_tone(500, 1) if sound else bytes(2 * FRAME) for sound in loud)


def _recognizer(bus: MemoryBus, engine: GatedEngine, prompt: str | None = None) -> StreamRecognizer:
    """A recognizer of ``ai_audio("stream-1")`` publishing to ``events``; a frame with
    any sound in it counts as speech."""
    audio = ai_audio("stream-1")
    payload = SttStreamPayload(
        audio_key=audio, language="en", prompt=prompt, endpoint_ms=500, max_utterance_s=30
    )
    return StreamRecognizer(
        bus,
        "stream-1",
        "events",
        payload,
        LoudnessVad(),  # type: ignore[arg-type]
        Decoder(engine, beam_size=5),
    )


async def test_a_low_hum_alone_is_not_heard_as_speech() -> None:
    bus, engine = MemoryBus(), GatedEngine()
    recognizer = _recognizer(bus, engine)
    audio = ai_audio("stream-1")
    async with await bus.subscribe("events") as subscription:
        serving = asyncio.create_task(recognizer.run())
        await bus.stream_add(audio, {PCM_FIELD: _tone(50, 40)}, maxlen=1000, ttl=60)
        await bus.stream_add(audio, {END_FIELD: b""}, maxlen=1000, ttl=60)
        seen = await _events(subscription, until="closed")
        await serving

    assert [event["event"] for event in seen] == ["accepted", "closed"]
    assert engine.beams == []


async def test_a_dip_shorter_than_a_pause_starts_no_decode() -> None:
    engine = GatedEngine()
    recognizer = _recognizer(MemoryBus(), engine)

    # Two silent frames, 64 ms (after the filter's ringing one): a dip between syllables.
    await recognizer._hear(_frames(*[True] * START_FRAMES, False, False, False))
    dipped = recognizer._tail
    # A third: a pause, and the utterance so far is decoded.
    await recognizer._hear(_frames(False))
    paused = recognizer._tail

    assert dipped is None
    assert paused is not None
    await engine.started()
    engine.finish_all()
    assert await paused[1] == ("beam 5", "en")


@pytest.mark.parametrize("speaks_again", [True, False], ids=["talked-through", "still-pausing"])
async def test_the_decode_at_a_pause_is_sent_as_a_partial(speaks_again: bool) -> None:
    bus, engine = MemoryBus(), GatedEngine()
    audio = ai_audio("stream-1")
    recognizer = _recognizer(bus, engine)
    async with await bus.subscribe("events") as subscription:
        serving = asyncio.create_task(recognizer.run())
        # Speech, silence (the filter rings into the first silent frame; the pause's
        # decode starts after TAIL_AFTER_FRAMES more), then speech again or the pause
        # going on (shorter than the endpoint): the partial comes either way.
        silence = [False] * (1 + TAIL_AFTER_FRAMES)
        pause = _frames(*[True] * START_FRAMES, *silence, speaks_again)
        await bus.stream_add(audio, {PCM_FIELD: pause}, maxlen=1000, ttl=60)
        await engine.started()
        engine.finish_one()
        seen = await _events(subscription, until="partial")
        await bus.stream_add(audio, {END_FIELD: b""}, maxlen=1000, ttl=60)
        if speaks_again:  # the final hears more than the pause's decode did
            await engine.started()
            engine.finish_one()
        seen += await _events(subscription, until="closed")
        await serving

    assert [event["event"] for event in seen] == [
        "accepted",
        "speech_started",
        "partial",
        "final",
        "closed",
    ]
    assert seen[2]["text"] == seen[3]["text"] == "beam 5"
    assert engine.beams == ([5, 5] if speaks_again else [5])


async def test_a_prompt_in_the_audio_stream_is_the_prompt_of_the_decodes_after_it() -> None:
    bus, engine = MemoryBus(), GatedEngine()
    audio = ai_audio("stream-1")
    recognizer = _recognizer(bus, engine, prompt="French Grand Simple Deluxe two")
    # speech, then silence past the endpoint (500 ms: 16 frames): one decode, one final
    short = _frames(*[True] * START_FRAMES, *[False] * 20)
    # speech long enough for a partial (0.3 s) before the pause's decode
    long = _frames(*[True] * (START_FRAMES + 15), *[False] * 20)
    async with await bus.subscribe("events") as subscription:
        serving = asyncio.create_task(recognizer.run())
        await bus.stream_add(audio, {PCM_FIELD: short}, maxlen=1000, ttl=60)
        await engine.started()
        engine.finish_one()
        seen = await _events(subscription, until="final")
        await bus.stream_add(audio, {PROMPT_FIELD: b"yes no wine"}, maxlen=1000, ttl=60)
        engine.finish_all()
        for pcm in (short, long):
            await bus.stream_add(audio, {PCM_FIELD: pcm}, maxlen=1000, ttl=60)
        await bus.stream_add(audio, {END_FIELD: b""}, maxlen=1000, ttl=60)
        seen += await _events(subscription, until="closed")
        await serving

    assert [event["event"] for event in seen].count("final") == 3
    assert engine.beams.count(1) >= 1  # a partial's decode, after the prompt
    assert engine.prompts[0] == "French Grand Simple Deluxe two"
    assert engine.prompts[1:] == ["yes no wine"] * (len(engine.prompts) - 1)


async def _events(subscription: Subscription, until: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(WAIT):
        while not seen or seen[-1]["event"] != until:
            message = await subscription.get()
            assert message is not None
            seen.append(json.loads(message.data)["result"])
    return seen


def test_the_readme_says_when_the_decode_at_a_pause_starts() -> None:
    readme = Path(__file__).resolve().parents[2] / "ai_worker" / "README.md"
    text = " ".join(readme.read_text(encoding="utf-8").split())

    pause_ms = TAIL_AFTER_FRAMES * FRAME * 1000 // 16_000
    assert f"After {TAIL_AFTER_FRAMES} silent frames ({pause_ms} ms, `TAIL_AFTER_FRAMES`" in text
    assert "At the first silent frame" not in text
