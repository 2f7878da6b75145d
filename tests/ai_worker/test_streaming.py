"""The reference AI Server's streaming speech: turn-taking, Silero VAD frame by frame,
and whole streams of espeak-ng speech recognised as they are read."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import numpy as np
import pytest

from ai_worker.engines.stt_whisper import WhisperEngine
from ai_worker.streaming.recognizer import AUDIO_GONE, AUDIO_GONE_CODE
from ai_worker.streaming.server import StreamServer
from ai_worker.streaming.vad import (
    CONTEXT,
    FRAME,
    START_FRAMES,
    Samples,
    SileroVad,
    Turn,
    TurnDetector,
    VadState,
)
from bus.ai import make_request_message
from bus.ai_messages import END_FIELD, PCM_FIELD
from bus.base import Bus, Subscription
from bus.keys import (
    STT_STREAM,
    ai_audio,
    ai_processing,
    ai_queue,
    ai_stream_final,
    ai_stream_owner,
    ai_worker_alive,
)
from bus.tasks import stop_tasks
from config.worker import WorkerSettings
from tests.support.bus_backends import FakeClock
from tests.support.cancellation import losing_first_cancellation, never_answers
from tests.support.fake_engine import WorkerFactory
from tests.support.hands_free import SILENT, SilentTranscriber, frames_of, spoken_pcm
from tests.support.waiting import eventually

ENDPOINT_FRAMES = 16  # 512 ms
PROCESSING = ai_processing("test-worker", STT_STREAM)
SPEAKING = 75  # 20 ms frames: 1.5 s into "two french dinners, grand style please"


def test_an_utterance_starts_after_a_run_of_speech_frames() -> None:
    turns = TurnDetector(endpoint_frames=ENDPOINT_FRAMES, max_frames=1000)

    changes = [turns.step(p) for p in [0.9, 0.1, 0.9, 0.9, 0.2, 0.9, 0.9, 0.9]]

    assert changes == [None] * 7 + [Turn.STARTED]
    assert turns.started == 8 - START_FRAMES


def test_silence_of_the_endpoint_ends_it_and_a_short_pause_does_not() -> None:
    turns = TurnDetector(endpoint_frames=ENDPOINT_FRAMES, max_frames=1000)
    for _ in range(START_FRAMES + 10):
        turns.step(0.9)
    pause = [turns.step(0.1) for _ in range(ENDPOINT_FRAMES - 1)]
    turns.step(0.9)

    silence = [turns.step(0.1) for _ in range(ENDPOINT_FRAMES)]

    assert pause == [None] * (ENDPOINT_FRAMES - 1)
    assert silence == [None] * (ENDPOINT_FRAMES - 1) + [Turn.ENDED]
    assert turns.speech_end == START_FRAMES + 10 + ENDPOINT_FRAMES
    assert not turns.speaking


def test_an_utterance_longer_than_the_limit_is_ended() -> None:
    turns = TurnDetector(endpoint_frames=ENDPOINT_FRAMES, max_frames=50)

    changes = [turns.step(0.9) for _ in range(60)]

    assert changes.count(Turn.ENDED) == 1


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    directory = tmp_path_factory.mktemp("speech")
    return spoken_pcm(["two french dinners, grand style please", "yes"], directory)


def _frames(pcm: bytes) -> Samples:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    usable = samples.size - samples.size % FRAME
    return samples[:usable].reshape(-1, FRAME)


def _probabilities(vad: SileroVad, pcm: bytes) -> list[float]:
    state = VadState()
    return [vad.probability(state, frame) for frame in _frames(pcm)]


def test_silero_hears_speech_frame_by_frame_and_not_silence(vad: SileroVad, speech: bytes) -> None:
    probabilities = _probabilities(vad, speech)

    assert max(probabilities) > 0.9
    assert max(_probabilities(vad, bytes(32_000))) < 0.2


def test_silero_carries_its_state_and_the_last_64_samples_from_frame_to_frame(
    vad: SileroVad, speech: bytes
) -> None:
    frames = _frames(speech)
    state = VadState()
    carried: list[float] = []
    after: list[VadState] = []
    for frame in frames:
        carried.append(vad.probability(state, frame))
        after.append(VadState(h=state.h.copy(), c=state.c.copy(), context=state.context.copy()))
    alone = [VadState() for _ in frames]
    heard_alone = [
        vad.probability(fresh, frame) for fresh, frame in zip(alone, frames, strict=True)
    ]

    for frame, kept in zip(frames, after, strict=True):
        assert np.array_equal(kept.context, frame[-CONTEXT:])
    assert any(
        not np.array_equal(kept.h, fresh.h) for kept, fresh in zip(after, alone, strict=True)
    )
    assert any(
        not np.array_equal(kept.c, fresh.c) for kept, fresh in zip(after, alone, strict=True)
    )
    # a frame heard after the speech before it is not heard as if alone (a state
    # reset per frame): 0.15 against 0.97 in the middle of a word
    assert max(abs(a - b) for a, b in zip(carried, heard_alone, strict=True)) > 0.5


@pytest.fixture(scope="module")
def engine() -> WhisperEngine:
    return WhisperEngine(WorkerSettings())


def _request(*, deadline: float | None = None, **payload: Any) -> dict[str, Any]:
    message = make_request_message(STT_STREAM, {}, timeout=30)
    if deadline is not None:
        message["deadline"] = deadline
    message["payload"] = {
        "audio_key": ai_audio(message["request_id"]),
        "sample_rate": 16000,
        "encoding": "pcm_s16le",
        "language": "en",
        "prompt": "French Grand Simple Deluxe two yes",
        "endpoint_ms": 500,
        "max_utterance_s": 30,
    } | payload
    return message


async def _events(subscription: Subscription, until: str = "closed") -> list[dict[str, Any]]:
    """The events of one stream up to the first ``until``, or up to an error (its body)."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(120):
        while not seen or seen[-1].get("event", "error") not in (until, "error"):
            message = await subscription.get()
            assert message is not None
            reply = json.loads(message.data)
            seen.append(reply["result"] if reply["status"] == "ok" else reply["error"])
    return seen


async def test_a_stream_of_two_utterances_is_heard_and_transcribed(
    bus: Bus, engine: WhisperEngine, speech: bytes
) -> None:
    server = StreamServer(
        bus, engine, processing=PROCESSING, streams=2, beam_size=5, poll_timeout=0.1
    )
    serving = asyncio.create_task(server.consume())
    message = _request()
    audio, reply_to = message["payload"]["audio_key"], message["reply_to"]
    try:
        async with await bus.subscribe(reply_to) as subscription:
            await bus.push(ai_queue(STT_STREAM), json.dumps(message))
            frames = frames_of(speech)
            # 1.5 s in, the first line is still being said: its words so far come.
            for frame in frames[:SPEAKING]:
                await bus.stream_add(audio, {PCM_FIELD: frame}, maxlen=100_000, ttl=120)
            events = await _events(subscription, until="partial")
            for frame in frames[SPEAKING:]:
                await bus.stream_add(audio, {PCM_FIELD: frame}, maxlen=100_000, ttl=120)
            await bus.stream_add(audio, {END_FIELD: b""}, maxlen=100_000, ttl=120)
            events += await _events(subscription)
    finally:
        await stop_tasks([serving])

    kinds = [event["event"] for event in events]
    assert kinds[0] == "accepted"
    assert kinds[-1] == "closed"
    finals = [event for event in events if event["event"] == "final"]
    assert [final["utterance"] for final in finals] == [0, 1]
    assert "french" in finals[0]["text"].lower()
    assert "yes" in finals[1]["text"].lower()
    assert finals[0]["start_ms"] < finals[0]["end_ms"] < finals[1]["start_ms"]
    assert kinds.index("speech_started") < kinds.index("partial") < kinds.index("final")
    partial = next(event for event in events if event["event"] == "partial")
    assert partial["utterance"] == 0 and partial["text"]
    stored = await bus.get(ai_stream_final(reply_to, 1))
    assert stored is not None and json.loads(stored)["result"]["text"] == finals[1]["text"]


async def test_past_its_streams_a_worker_refuses_with_overloaded(
    bus: Bus, engine: WhisperEngine
) -> None:
    server = StreamServer(
        bus, engine, processing=PROCESSING, streams=1, beam_size=1, poll_timeout=0.1
    )
    serving = asyncio.create_task(server.consume())
    first, second = _request(), _request()
    try:
        async with await bus.subscribe(first["reply_to"], second["reply_to"]) as subscription:
            await bus.push(ai_queue(STT_STREAM), json.dumps(first))
            await bus.push(ai_queue(STT_STREAM), json.dumps(second))
            replies = {}
            async with asyncio.timeout(30):
                while len(replies) < 2:
                    message = await subscription.get()
                    assert message is not None
                    replies[message.channel] = json.loads(message.data)
    finally:
        await stop_tasks([serving])

    assert replies[first["reply_to"]]["result"] == {"event": "accepted"}
    assert replies[second["reply_to"]]["error"]["code"] == "overloaded"


async def test_stopping_the_worker_stops_a_stream_whose_read_lost_its_cancellation(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Redis took the XREAD, and the cancellation lands as a reply arrives: lost
    # (Python 3.11's wait_for, in redis-py's every write; see bus.tasks.stop_tasks).
    monkeypatch.setattr(bus, "stream_read", losing_first_cancellation(never_answers))
    server = StreamServer(
        bus, SilentTranscriber(), processing=PROCESSING, streams=1, beam_size=1, poll_timeout=0.1
    )
    serving = asyncio.create_task(server.consume())
    message = _request()
    try:
        async with await bus.subscribe(message["reply_to"]) as subscription:
            await bus.push(ai_queue(STT_STREAM), json.dumps(message))
            assert await _events(subscription, until="accepted") == [{"event": "accepted"}]
    finally:
        await stop_tasks([serving])

    assert server.serving == 0


def _silent_server(bus: Bus, **options: Any) -> StreamServer:
    """A stream server whose engine hears no words (its VAD still works)."""
    settings: dict[str, Any] = {"streams": 1, "beam_size": 1, "poll_timeout": 0.1}
    return StreamServer(bus, SilentTranscriber(), processing=PROCESSING, **settings | options)


async def _add(bus: Bus, audio: str, field: str, value: bytes = b"") -> None:
    await bus.stream_add(audio, {field: value}, maxlen=100_000, ttl=120)


async def test_a_stream_that_ended_frees_its_slot_for_the_next(bus: Bus) -> None:
    server = _silent_server(bus)
    serving = asyncio.create_task(server.consume())
    first, second = _request(), _request()
    try:
        async with await bus.subscribe(first["reply_to"], second["reply_to"]) as subscription:
            await bus.push(ai_queue(STT_STREAM), json.dumps(first))
            assert await _events(subscription, until="accepted") == [{"event": "accepted"}]
            await _add(bus, first["payload"]["audio_key"], PCM_FIELD, SILENT)
            await _add(bus, first["payload"]["audio_key"], END_FIELD)
            assert await _events(subscription) == [{"event": "closed"}]
            await eventually(lambda: server.serving == 0)
            await bus.push(ai_queue(STT_STREAM), json.dumps(second))
            events = await _events(subscription, until="accepted")
    finally:
        await stop_tasks([serving])

    assert events == [{"event": "accepted"}]  # not overloaded: the one slot is free again


async def test_audio_that_stops_coming_ends_the_stream_with_an_error_and_frees_its_slot(
    bus: Bus,
) -> None:
    clock = FakeClock()
    server = _silent_server(bus, clock=clock)
    serving = asyncio.create_task(server.consume())
    first, second = _request(deadline=clock() + 30), _request(deadline=clock() + 30)
    audio = first["payload"]["audio_key"]
    try:
        async with await bus.subscribe(first["reply_to"], second["reply_to"]) as subscription:
            await bus.push(ai_queue(STT_STREAM), json.dumps(first))
            assert await _events(subscription, until="accepted") == [{"event": "accepted"}]
            await _add(bus, audio, PCM_FIELD, SILENT)
            # the service went away without an end: its audio key expires
            await bus.delete(audio)
            clock.advance(AUDIO_GONE + 1)
            ended = await _events(subscription)
            await eventually(lambda: server.serving == 0)
            second["deadline"] = clock() + 30
            await bus.push(ai_queue(STT_STREAM), json.dumps(second))
            events = await _events(subscription, until="accepted")
    finally:
        await stop_tasks([serving])

    assert ended[-1]["code"] == AUDIO_GONE_CODE == "audio_timeout"
    assert "closed" not in [event.get("event") for event in ended]
    assert events == [{"event": "accepted"}]


async def test_a_stream_taken_past_its_deadline_is_dropped_not_served(bus: Bus) -> None:
    # requeued after its worker died, once the service had given it up
    server = _silent_server(bus)
    serving = asyncio.create_task(server.consume())
    late, fresh = _request(deadline=time.time() - 1), _request()
    try:
        async with await bus.subscribe(late["reply_to"], fresh["reply_to"]) as subscription:
            await bus.push(ai_queue(STT_STREAM), json.dumps(late))
            await bus.push(ai_queue(STT_STREAM), json.dumps(fresh))
            message = await asyncio.wait_for(subscription.get(), 30)
    finally:
        await stop_tasks([serving])

    assert message is not None and message.channel == fresh["reply_to"]
    assert json.loads(message.data)["result"] == {"event": "accepted"}  # the slot was free


async def test_a_stream_that_comes_twice_is_served_once(bus: Bus) -> None:
    # a copy left in a processing list by a worker thought dead, and requeued
    server = _silent_server(bus, streams=3)
    serving = asyncio.create_task(server.consume())
    twice, other = _request(), _request()
    try:
        async with await bus.subscribe(twice["reply_to"], other["reply_to"]) as subscription:
            for message in (twice, twice, other):
                await bus.push(ai_queue(STT_STREAM), json.dumps(message))
            seen = []
            async with asyncio.timeout(30):
                while not seen or seen[-1][0] != other["reply_to"]:
                    message = await subscription.get()
                    assert message is not None
                    seen.append((message.channel, json.loads(message.data)))
            served = server.serving
    finally:
        await stop_tasks([serving])

    assert [(channel, reply["result"]) for channel, reply in seen] == [
        (twice["reply_to"], {"event": "accepted"}),
        (other["reply_to"], {"event": "accepted"}),
    ]
    assert served == 2


async def test_the_reference_worker_names_itself_in_accepted(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    worker = await make_worker({"stt": SilentTranscriber()}, ai_worker_id="worker-7")
    message = _request()
    async with await bus.subscribe(message["reply_to"]) as subscription:
        await bus.push(ai_queue(STT_STREAM), json.dumps(message))
        events = await _events(subscription, until="accepted")

    assert events == [{"event": "accepted", "worker": "worker-7"}]
    assert await bus.get(ai_worker_alive("worker-7")) is not None
    await worker.stop(grace=0)
    assert await bus.get(ai_worker_alive("worker-7")) is None  # what the service watches


async def _served(bus: Bus, message: dict[str, Any], pcm: bytes) -> list[dict[str, Any]]:
    """The events of stream ``message`` (already pushed) of ``pcm`` then ``end``."""
    audio = message["payload"]["audio_key"]
    async with await bus.subscribe(message["reply_to"]) as subscription:
        await bus.push(ai_queue(STT_STREAM), json.dumps(message))
        for frame in frames_of(pcm):
            await _add(bus, audio, PCM_FIELD, frame)
        await _add(bus, audio, END_FIELD)
        return await _events(subscription)


async def test_each_final_is_also_stored_under_reply_to_and_its_number_for_300_s(
    bus: Bus, speech: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # docs/contract.md §1.5: SET <reply_to>:<n> EX 300, for a waiter that resubscribes;
    # the claim (<reply_to>:worker) expires as well: a stream leaves no key for good
    expiries: dict[str, float | None] = {}
    bus_set = bus.set

    async def recorded(
        key: str, data: Any, *, ttl: float | None = None, only_if_missing: bool = False
    ) -> bool:
        expiries[key] = ttl
        return await bus_set(key, data, ttl=ttl, only_if_missing=only_if_missing)

    monkeypatch.setattr(bus, "set", recorded)
    server = _silent_server(bus)
    serving = asyncio.create_task(server.consume())
    message = _request()
    try:
        events = await _served(bus, message, speech)
    finally:
        await stop_tasks([serving])

    assert expiries[ai_stream_owner(message["reply_to"])] == 300
    finals = [event for event in events if event["event"] == "final"]
    assert [final["utterance"] for final in finals] == [0, 1]
    for final in finals:
        key = ai_stream_final(message["reply_to"], final["utterance"])
        assert key == f"{message['reply_to']}:{final['utterance']}"
        assert expiries[key] == 300
        stored = await bus.get(key)
        assert stored is not None and json.loads(stored)["result"] == final


async def test_an_utterance_longer_than_the_request_s_max_utterance_s_is_ended(
    bus: Bus, speech: bytes
) -> None:
    # "two french dinners, grand style please" runs about 2.5 s without a pause
    server = _silent_server(bus)
    serving = asyncio.create_task(server.consume())
    try:
        events = await _served(bus, _request(max_utterance_s=0.5), speech)
    finally:
        await stop_tasks([serving])

    finals = [event for event in events if event["event"] == "final"]
    frame_ms = FRAME * 1000 // 16000
    assert len(finals) >= 4
    assert all(final["end_ms"] - final["start_ms"] <= 500 + frame_ms for final in finals), finals


async def test_a_worker_serves_at_most_ai_worker_streams_at_once(
    bus: Bus, make_worker: WorkerFactory
) -> None:
    await make_worker({"stt": SilentTranscriber()}, ai_worker_streams=1)
    first, second = _request(), _request()
    async with await bus.subscribe(first["reply_to"], second["reply_to"]) as subscription:
        await bus.push(ai_queue(STT_STREAM), json.dumps(first))
        accepted = await _events(subscription, until="accepted")
        assert [event["event"] for event in accepted] == ["accepted"]
        await bus.push(ai_queue(STT_STREAM), json.dumps(second))
        refused = await _events(subscription, until="accepted")

    assert refused[-1].get("code") == "overloaded", refused
