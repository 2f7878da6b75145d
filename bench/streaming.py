"""Hands-free talk measured (issue 21): completion, latency, partials and capacity.

Completion, latency and partials: one app with the embedded reference AI Server
(memory bus, the bundled tiny.en, default 500 ms endpoint) and a deterministic
subset of the spoken corpus (every ``--every``-th conversation of
``spoken_corpus``, both halves), said three ways in the same run:

- hands-free: each conversation on one ``WS /api/voice/stream``, its lines said by
  espeak-ng at real-time pace in 20 ms frames, the microphone left open between
  lines (silence), the next line said once the last one was answered;
- hands-free in noise: the same with brown noise at 15 dB SNR under the lines and
  between them;
- push-to-talk (the clip path): each line's clip to ``POST /api/voice/stt``, its
  text to ``POST /api/voice/analyze``.

and, asked for with ``--paths``, push-to-talk with the same noise in its clips.

Latency runs from the last voiced frame sent to the ``final`` and to the ``reply``
(hands-free), and from the upload to the answer (push-to-talk). Partials: how many
arrive per second of speech, and the longest wait for news (``speech_started`` or a
``partial``) while the customer speaks.

Capacity (``--capacity 1,2,4,6``): one reference stream server (the worker's own
code, in this process) on a memory bus serving that many streams at once, each
saying sentences with 1.5 s between them at real-time pace; the latency to each
final, and the worker's CPU time over the audio streamed (its real-time factor per
stream).

    python -m bench.streaming --every 8
    python -m bench.streaming --every 8 --window 30 --paths hands-free,push-to-talk
    python -m bench.streaming --every 8 --paths push-to-talk,push-to-talk-noise
    python -m bench.streaming --capacity 1,2,4,6 --skip-corpus
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import resource
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from quart.testing import QuartClient
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from ai_worker.engines.stt_whisper import WhisperEngine
from ai_worker.streaming.server import StreamServer
from bench.common import SECRET, bench_settings
from bus.ai import make_request_message
from bus.ai_messages import END_FIELD, PCM_FIELD
from bus.keys import STT_STREAM, ai_audio, ai_processing, ai_queue
from bus.memory import MemoryBus
from config.worker import WorkerSettings
from domain.catalog import Catalog
from quart_app import create_app
from tests.support.dialogue_corpus import Dialogue, spoken_corpus
from tests.support.dialogue_run import (
    Outcome,
    Said,
    Talking,
    catalog_and_recommendation,
    completion_rate,
    run_dialogue,
    speak,
)
from tests.support.hands_free import STREAM, frames_of, start_frame
from tests.support.tokens import bearer

FRAME_S = 0.02
FRAME_BYTES = 640
VOICED_FLOOR = 500
"""A frame with a sample louder than this (of 32,768) has speech in it."""
SNR_DB = 15.0
SETTLED_AFTER = 1.5
"""Seconds after a line's last voiced frame with nothing in progress: it was all heard."""
TURN_LIMIT = 60.0
SENTENCES = [
    "Two French dinners, grand style please",
    "One valentine dinner, simple style",
    "I would like the champagne feast, deluxe style",
]
Pcm = npt.NDArray[np.int16]


def _pcm(clip: bytes) -> bytes:
    with wave.open(io.BytesIO(clip)) as reader:
        return reader.readframes(reader.getnframes())


def _voiced(frames: list[bytes]) -> list[int]:
    """Indexes of the frames with speech in them."""
    return [
        index
        for index, frame in enumerate(frames)
        if np.abs(np.frombuffer(frame, dtype="<i2")).max() > VOICED_FLOOR
    ]


class BrownNoise:
    """Endless brown (1/f²) noise, deterministic for a ``seed``, at ``rms``."""

    LEAK = 0.98

    def __init__(self, seed: str) -> None:
        self._rng = np.random.default_rng(
            int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8])
        )
        self._last = 0.0
        self.rms = 0.0

    def next(self, samples: int) -> npt.NDArray[np.float64]:
        white = self._rng.standard_normal(samples)
        out = np.empty(samples)
        level = self._last
        for index, value in enumerate(white):
            level = self.LEAK * level + value
            out[index] = level
        self._last = level
        return out * self.rms * np.sqrt(1 - self.LEAK**2)

    def under(self, frame: bytes) -> bytes:
        """``frame`` with the noise added."""
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        mixed = samples + self.next(samples.size)
        return np.clip(mixed, -32768, 32767).astype("<i2").tobytes()


def _speech_rms(frames: list[bytes], voiced: list[int]) -> float:
    samples = np.frombuffer(b"".join(frames[i] for i in voiced), dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


@dataclass
class Figures:
    """What the hands-free turns of one variant measured."""

    finals: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    partial_rates: list[float] = field(default_factory=list)
    longest_waits: list[float] = field(default_factory=list)


class Microphone:
    """Sends 20 ms frames at real-time pace for the life of a socket: a line's frames
    when one is given, else silence (with the noise under everything, if any)."""

    def __init__(self, ws: WsConnection, noise: BrownNoise | None) -> None:
        self._ws = ws
        self._noise = noise
        self._line: list[bytes] = []
        self._last_voiced = self._position = -1
        self.last_voiced_at = 0.0
        """When the line's last voiced frame was sent (0 until it is)."""

    def say(self, frames: list[bytes], last_voiced: int) -> None:
        self._line, self._last_voiced, self._position = list(frames), last_voiced, 0
        self.last_voiced_at = 0.0

    async def run(self) -> None:
        started, sent = time.monotonic(), 0
        while True:
            await asyncio.sleep(max(0.0, started + sent * FRAME_S - time.monotonic()))
            position = -1
            frame = bytes(FRAME_BYTES)
            if self._line:
                frame, position = self._line.pop(0), self._position
                self._position += 1
            if self._noise is not None:
                frame = self._noise.under(frame)
            await self._ws.send(frame)
            sent += 1
            if position == self._last_voiced:
                self.last_voiced_at = time.monotonic()


class HandsFree:
    """A customer on one ``WS /api/voice/stream``: each line said into the open
    microphone, answered when the service heard all of it."""

    def __init__(
        self, ws: WsConnection, dialogue: Dialogue, clip_dir: Path, noisy: bool, figures: Figures
    ) -> None:
        self._ws = ws
        self._dialogue = dialogue
        self._clip_dir = clip_dir
        self._noise = BrownNoise(dialogue.name) if noisy else None
        self._figures = figures
        self.microphone = Microphone(ws, self._noise)

    async def say(self, line: str, session_id: str | None) -> Said:
        clip, _ = speak(line, self._dialogue.voice, self._dialogue.speed, self._clip_dir)
        frames = frames_of(_pcm(clip))
        voiced = _voiced(frames) or [0]
        if self._noise is not None:
            self._noise.rms = _speech_rms(frames, voiced) / 10 ** (SNR_DB / 20)
        queued = time.monotonic()
        self.microphone.say(frames, voiced[-1])
        news = [queued + voiced[0] * FRAME_S]
        started = finals = settled = 0
        heard: list[str] = []
        answer: dict[str, Any] = {}
        final_at = reply_at = 0.0
        deadline = queued + TURN_LIMIT
        while True:
            spoke_at = self.microphone.last_voiced_at
            idle = started == finals and settled == finals
            if spoke_at and idle and time.monotonic() - spoke_at > SETTLED_AFTER:
                break
            if time.monotonic() > deadline:
                return Said("", error=f"no answer within {TURN_LIMIT} s to {line!r}")
            try:
                frame = json.loads(await asyncio.wait_for(self._ws.receive(), 0.1))
            except TimeoutError:
                continue
            kind = frame["type"]
            if kind in ("speech_started", "partial") and not spoke_at:
                news.append(time.monotonic())
            if kind == "speech_started":
                started += 1
            elif kind == "final":
                finals += 1
                final_at = time.monotonic()
                if frame["text"].strip():
                    heard.append(frame["text"])
                else:
                    settled += 1
            elif kind in ("reply", "error"):
                settled += 1
                reply_at = time.monotonic()
                if kind == "reply":
                    answer = frame["analysis"]
        spoke_at = self.microphone.last_voiced_at
        if final_at > spoke_at:
            self._figures.finals.append(final_at - spoke_at)
        if reply_at > spoke_at and answer:
            self._figures.replies.append(reply_at - spoke_at)
        speaking = (voiced[-1] - voiced[0]) * FRAME_S
        if speaking > 0.5:
            self._figures.partial_rates.append((len(news) - 1) / speaking)
            waits = np.diff([*news, spoke_at])
            self._figures.longest_waits.append(float(waits.max()))
        if not answer:
            return Said(" ".join(heard))
        return Said(" ".join(heard), 200, answer)


async def _hands_free_dialogue(
    client: QuartClient,
    dialogue: Dialogue,
    catalog: Catalog,
    clip_dir: Path,
    noisy: bool,
    figures: Figures,
) -> Outcome:
    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame(language=dialogue.language))
        ready = json.loads(await ws.receive())
        assert ready["type"] == "ready", ready
        customer = HandsFree(ws, dialogue, clip_dir, noisy, figures)
        microphone = asyncio.create_task(customer.microphone.run())
        try:
            return await run_dialogue(
                client,
                dialogue,
                catalog=catalog,
                order_reader=bearer("manager-1", "manager", secret=SECRET),
                customer=customer,
            )
        finally:
            microphone.cancel()


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _halves(title: str, outcomes: list[Outcome]) -> None:
    parts = []
    for half, held_out in (("development", False), ("held-out", True)):
        part = [o for o in outcomes if o.dialogue.held_out == held_out]
        wrong = sum(o.wrong_order for o in part)
        parts.append(
            f"{half} {sum(o.completed for o in part)}/{len(part)} = {completion_rate(part):.0%}"
            + (f" ({wrong} wrong)" if wrong else "")
        )
    print(f"{title}: " + ", ".join(parts), flush=True)


def _noisy_clip(seed: str) -> Callable[[bytes], bytes]:
    """A WAV clip with brown noise under all of it at :data:`SNR_DB` below its speech."""
    noise = BrownNoise(seed)

    def mix(clip: bytes) -> bytes:
        frames = frames_of(_pcm(clip))
        noise.rms = _speech_rms(frames, _voiced(frames)) / 10 ** (SNR_DB / 20)
        out = io.BytesIO()
        with wave.open(out, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(16_000)
            writer.writeframes(b"".join(noise.under(frame) for frame in frames))
        return out.getvalue()

    return mix


PATHS = ("hands-free", "hands-free-noise", "push-to-talk", "push-to-talk-noise")


async def corpus(every: int, window: float | None, paths: list[str]) -> None:
    overrides: dict[str, Any] = {"ai_worker": "embedded", "rate_limits_enabled": False}
    if window is not None:
        overrides["stt_stream_window_s"] = window
    app = create_app(bench_settings("bench-streaming-", **overrides))
    clip_dir = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    async with app.test_app() as serving:
        client = serving.test_client()
        catalog, recommended = await catalog_and_recommendation(client)
        dialogues = spoken_corpus(catalog, recommended)[::every]
        print(
            f"{len(dialogues)} conversations (every {every}th of the spoken corpus), "
            f"load {_load()}",
            flush=True,
        )
        await Talking(client, dialogues[0], clip_dir).say("hello", None)  # loads the model
        for title, noisy in (("hands-free", False), ("hands-free-noise", True)):
            if title not in paths:
                continue
            figures = Figures()
            started = time.monotonic()
            outcomes = [
                await _hands_free_dialogue(client, dialogue, catalog, clip_dir, noisy, figures)
                for dialogue in dialogues
            ]
            _halves(f"{title} completion", outcomes)
            print(
                f"  last word -> final p50 {_p(figures.finals, 0.5):.2f} s, p95 "
                f"{_p(figures.finals, 0.95):.2f} s; -> reply p50 {_p(figures.replies, 0.5):.2f} s, "
                f"p95 {_p(figures.replies, 0.95):.2f} s ({len(figures.replies)} replies)",
            )
            print(
                f"  partials per second of speech p50 {_p(figures.partial_rates, 0.5):.1f}, "
                f"p5 {_p(figures.partial_rates, 0.05):.1f}; longest wait for news while "
                f"speaking p50 {_p(figures.longest_waits, 0.5):.2f} s, "
                f"p95 {_p(figures.longest_waits, 0.95):.2f} s",
            )
            print(f"  {time.monotonic() - started:.0f} s, load {_load()}", flush=True)
        order_reader = bearer("manager-1", "manager", secret=SECRET)
        for title, noisy in (("push-to-talk", False), ("push-to-talk-noise", True)):
            if title not in paths:
                continue
            outcomes = [
                await run_dialogue(
                    client,
                    dialogue,
                    catalog=catalog,
                    order_reader=order_reader,
                    customer=Talking(
                        client, dialogue, clip_dir, _noisy_clip(dialogue.name) if noisy else None
                    ),
                )
                for dialogue in dialogues
            ]
            _halves(f"{title} completion", outcomes)
            turns = [t for o in outcomes for t in o.turn_seconds]
            print(
                f"  upload -> answer p50 {_p(turns, 0.5):.2f} s, p95 {_p(turns, 0.95):.2f} s; "
                f"load {_load()}",
                flush=True,
            )


@dataclass
class _Utterance:
    frames: list[bytes]
    first_voiced: int
    last_voiced: int


async def _one_stream(
    bus: MemoryBus,
    lines: list[_Utterance],
    finals: list[float],
    partials: list[int],
    lead_in: float = 0.0,
) -> None:
    message = make_request_message(STT_STREAM, {}, timeout=30)
    audio = ai_audio(message["request_id"])
    message["payload"] = {
        "audio_key": audio,
        "sample_rate": 16000,
        "encoding": "pcm_s16le",
        "language": "en",
        "prompt": "French Grand Simple Deluxe Valentine English Champagne dinner feast",
        "endpoint_ms": 500,
        "max_utterance_s": 30,
    }
    spoken: list[float] = []
    gap = [bytes(FRAME_BYTES)] * round(1.5 / FRAME_S)
    frames: list[bytes] = [bytes(FRAME_BYTES)] * round(lead_in / FRAME_S)
    marks: dict[int, int] = {}
    for line in lines:
        marks[len(frames) + line.last_voiced] = len(marks)
        frames += line.frames + gap
    async with await bus.subscribe(message["reply_to"]) as events:
        await bus.push(ai_queue(STT_STREAM), json.dumps(message))

        async def send() -> None:
            started = time.monotonic()
            for index, frame in enumerate(frames):
                await asyncio.sleep(max(0.0, started + index * FRAME_S - time.monotonic()))
                await bus.stream_add(audio, {PCM_FIELD: frame}, maxlen=100_000, ttl=120)
                if index in marks:
                    spoken.append(time.monotonic())
            await bus.stream_add(audio, {END_FIELD: b""}, maxlen=100_000, ttl=120)

        sending = asyncio.create_task(send())
        heard = 0
        while True:
            reply = await events.get()
            assert reply is not None
            event = json.loads(reply.data)["result"]
            if event["event"] == "partial":
                partials[0] += 1
            elif event["event"] == "final":
                if heard < len(spoken):
                    finals.append(time.monotonic() - spoken[heard])
                heard += 1
            elif event["event"] == "closed":
                break
        await sending


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def capacity(counts: list[int], window: float | None, stagger: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    lines = []
    for sentence in SENTENCES:
        frames = frames_of(_pcm(speak(sentence, "en-us", 150, folder)[0]))
        voiced = _voiced(frames)
        lines.append(_Utterance(frames, voiced[0], voiced[-1]))
    seconds = sum(len(line.frames) for line in lines) * FRAME_S + len(lines) * 1.5
    speech = sum(line.last_voiced - line.first_voiced for line in lines) * FRAME_S
    config = WorkerSettings() if window is None else WorkerSettings(stt_stream_window_s=window)
    engine = WhisperEngine(config)
    engine.transcribe_samples(np.zeros(16_000, np.float32), "en", None, beam_size=1, vad=False)
    for count in counts:
        bus = MemoryBus()
        server = StreamServer(
            bus,
            engine,
            processing=ai_processing("bench", STT_STREAM),
            streams=count,
            beam_size=config.stt_beam_size,
            window_s=config.stt_stream_window_s,
            poll_timeout=0.1,
        )
        serving = asyncio.create_task(server.consume())
        finals: list[float] = []
        partials = [0]
        cpu = _cpu()
        # Staggered: stream i starts i/count of a sentence later, as kiosks don't talk in step.
        lead = seconds / len(lines) / count if stagger else 0.0
        await asyncio.gather(
            *(_one_stream(bus, lines, finals, partials, i * lead) for i in range(count))
        )
        used = _cpu() - cpu
        serving.cancel()
        await bus.close()
        print(
            f"{count} streams: last word -> final p50 {_p(finals, 0.5):.2f} s, "
            f"p95 {_p(finals, 0.95):.2f} s, max {max(finals):.2f} s; "
            f"{partials[0] / count / speech:.1f} partials per second of speech; "
            f"CPU {used / (count * seconds):.2f} s per second of audio per stream; "
            f"load {_load()}",
            flush=True,
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=8, help="every n-th spoken conversation")
    parser.add_argument("--window", type=float, default=None, help="STT_STREAM_WINDOW_S")
    parser.add_argument(
        "--paths",
        default="hands-free,hands-free-noise,push-to-talk",
        help=f"which of {','.join(PATHS)} (comma-separated)",
    )
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--capacity", default="", help="stream counts, e.g. 1,2,4,6")
    parser.add_argument(
        "--stagger", action="store_true", help="capacity: streams start spread over a sentence"
    )
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load {_load()}", flush=True)
    if not args.skip_corpus:
        await corpus(args.every, args.window, args.paths.split(","))
    if args.capacity:
        await capacity([int(n) for n in args.capacity.split(",")], args.window, args.stagger)


if __name__ == "__main__":
    asyncio.run(main())
