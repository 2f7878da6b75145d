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

and, asked for with ``--paths``, push-to-talk with the same noise in its clips, and
both paths in babble (``-babble``: three voices saying other conversations' lines
at 15 dB SNR, under the lines only; bench/noise.py).

Latency runs from the last voiced frame sent to the ``final`` and to the ``reply``
(hands-free), and from the upload to the answer (push-to-talk). Partials: how many
arrive per second of speech, and the longest wait for news (``speech_started`` or a
``partial``) while the customer speaks.

Capacity (``--capacity 1,2,4,6``): one reference stream server (the worker's own
code, in this process) on a memory bus serving that many streams at once, each
saying sentences with 1.5 s between them at real-time pace; the latency to each
final, the partials and the longest wait for news while each sentence is said, and
the worker's CPU time over the audio streamed (its real-time factor per stream),
for each ``--decoders`` (``STT_PARALLEL_DECODES``) in turn.

    python -m bench.streaming --every 8
    python -m bench.streaming --every 8 --window 30 --paths hands-free,push-to-talk
    python -m bench.streaming --every 8 --paths push-to-talk,push-to-talk-noise
    python -m bench.streaming --every 8 --paths hands-free-babble,push-to-talk-babble
    python -m bench.streaming --capacity 1,2,4,6 --skip-corpus --stagger --decoders 1,2
    python -m bench.streaming --capacity 4,6,8 --skip-corpus --stagger --partial-batches 1,4
"""

from __future__ import annotations

import argparse
import asyncio
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
from quart.testing.connections import WebsocketDisconnectError
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from ai_worker.engines.stt_whisper import WhisperEngine
from ai_worker.streaming.recognizer import PARTIAL_BATCH
from ai_worker.streaming.server import StreamServer
from bench.common import SECRET, bench_settings
from bench.noise import Babble, BrownNoise, Noise, Signal
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

    def __init__(self, ws: WsConnection, noise: Noise | None) -> None:
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
            if self._noise is not None and (position >= 0 or self._noise.between_lines):
                frame = self._noise.under(frame)
            await self._ws.send(frame)
            sent += 1
            if position == self._last_voiced:
                self.last_voiced_at = time.monotonic()


class HandsFree:
    """A customer on one ``WS /api/voice/stream``: each line said into the open
    microphone, answered when the service heard all of it."""

    def __init__(
        self,
        ws: WsConnection,
        dialogue: Dialogue,
        clip_dir: Path,
        noise: Noise | None,
        figures: Figures,
    ) -> None:
        self._ws = ws
        self._dialogue = dialogue
        self._clip_dir = clip_dir
        self._noise = noise
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
            except WebsocketDisconnectError as closed:
                return Said(" | ".join(heard), error=f"the stream closed ({closed.args[0]})")
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
            return Said(" | ".join(heard))
        return Said(" | ".join(heard), 200, answer)


async def _hands_free_dialogue(
    client: QuartClient,
    dialogue: Dialogue,
    catalog: Catalog,
    clip_dir: Path,
    noise: Noise | None,
    figures: Figures,
) -> Outcome:
    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame(language=dialogue.language))
        ready = json.loads(await ws.receive())
        assert ready["type"] == "ready", ready
        customer = HandsFree(ws, dialogue, clip_dir, noise, figures)
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


def _halves(title: str, outcomes: list[Outcome], show_failures: bool = False) -> None:
    parts = []
    for half, held_out in (("development", False), ("held-out", True)):
        part = [o for o in outcomes if o.dialogue.held_out == held_out]
        if not part:
            continue
        wrong = sum(o.wrong_order for o in part)
        parts.append(
            f"{half} {sum(o.completed for o in part)}/{len(part)} = {completion_rate(part):.0%}"
            + (f" ({wrong} wrong)" if wrong else "")
        )
    print(f"{title}: " + ", ".join(parts), flush=True)
    if show_failures:  # the development half's only: the held-out half is never looked at
        for outcome in outcomes:
            if not outcome.dialogue.held_out and not outcome.completed:
                print(f"  failed ({title}) " + outcome.describe().replace("\n", "\n  "))
                for said, heard in zip(outcome.said, outcome.heard, strict=False):
                    print(f"    said {said!r}, heard {heard!r}")


def _noisy_clip(noise: Noise) -> Callable[[bytes], bytes]:
    """A WAV clip with ``noise`` under all of it at :data:`SNR_DB` below its speech."""

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


PATHS = (
    "hands-free",
    "hands-free-noise",
    "hands-free-babble",
    "push-to-talk",
    "push-to-talk-noise",
    "push-to-talk-babble",
)
BABBLE_POOL = 24
"""Lines of conversations outside the measured subset that the babble's voices say."""
NoiseMaker = Callable[[str], Noise | None]


def _babble_pool(dialogues: list[Dialogue], clip_dir: Path) -> list[Signal]:
    lines = [(dialogue, line) for dialogue in dialogues for line in dialogue.lines]
    return [
        np.frombuffer(_pcm(speak(line, d.voice, d.speed, clip_dir)[0]), "<i2").astype(np.float64)
        for d, line in lines[:BABBLE_POOL]
    ]


def _noise_makers(pool: list[Signal]) -> dict[str, NoiseMaker]:
    """Each path's noise for a conversation (by its name): none, brown or babble."""
    return {
        "": lambda _: None,
        "-noise": BrownNoise,
        "-babble": lambda seed: Babble(seed, pool),
    }


def _clip_noise(make_noise: NoiseMaker, dialogue: Dialogue) -> Callable[[bytes], bytes] | None:
    noise = make_noise(dialogue.name)
    return None if noise is None else _noisy_clip(noise)


async def corpus(
    every: int,
    window: float | None,
    paths: list[str],
    *,
    development_only: bool = False,
    show_failures: bool = False,
) -> None:
    overrides: dict[str, Any] = {"ai_worker": "embedded", "rate_limits_enabled": False}
    if window is not None:
        overrides["stt_stream_window_s"] = window
    app = create_app(bench_settings("bench-streaming-", **overrides))
    clip_dir = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    async with app.test_app() as serving:
        client = serving.test_client()
        catalog, recommended = await catalog_and_recommendation(client)
        everyone = spoken_corpus(catalog, recommended)
        dialogues = [d for d in everyone[::every] if not (development_only and d.held_out)]
        makers = _noise_makers(_babble_pool(everyone[1::every], clip_dir))
        print(
            f"{len(dialogues)} conversations (every {every}th of the spoken corpus), "
            f"load {_load()}",
            flush=True,
        )
        await Talking(client, dialogues[0], clip_dir).say("hello", None)  # loads the model
        for suffix, make_noise in makers.items():
            title = f"hands-free{suffix}"
            if title not in paths:
                continue
            figures = Figures()
            started = time.monotonic()
            outcomes = [
                await _hands_free_dialogue(
                    client, dialogue, catalog, clip_dir, make_noise(dialogue.name), figures
                )
                for dialogue in dialogues
            ]
            _halves(f"{title} completion", outcomes, show_failures)
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
        for suffix, make_noise in makers.items():
            title = f"push-to-talk{suffix}"
            if title not in paths:
                continue
            outcomes = [
                await run_dialogue(
                    client,
                    dialogue,
                    catalog=catalog,
                    order_reader=order_reader,
                    customer=Talking(client, dialogue, clip_dir, _clip_noise(make_noise, dialogue)),
                )
                for dialogue in dialogues
            ]
            _halves(f"{title} completion", outcomes, show_failures)
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
    longest_waits: list[float],
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
    voicing: list[float] = []
    gap = [bytes(FRAME_BYTES)] * round(1.5 / FRAME_S)
    frames: list[bytes] = [bytes(FRAME_BYTES)] * round(lead_in / FRAME_S)
    marks: dict[int, int] = {}
    starts: set[int] = set()
    for line in lines:
        starts.add(len(frames) + line.first_voiced)
        marks[len(frames) + line.last_voiced] = len(marks)
        frames += line.frames + gap
    news: list[float] = []
    async with await bus.subscribe(message["reply_to"]) as events:
        await bus.push(ai_queue(STT_STREAM), json.dumps(message))

        async def send() -> None:
            started = time.monotonic()
            for index, frame in enumerate(frames):
                await asyncio.sleep(max(0.0, started + index * FRAME_S - time.monotonic()))
                await bus.stream_add(audio, {PCM_FIELD: frame}, maxlen=100_000, ttl=120)
                if index in starts:
                    voicing.append(time.monotonic())
                if index in marks:
                    spoken.append(time.monotonic())
            await bus.stream_add(audio, {END_FIELD: b""}, maxlen=100_000, ttl=120)

        sending = asyncio.create_task(send())
        heard = 0
        while True:
            reply = await events.get()
            assert reply is not None
            event = json.loads(reply.data)["result"]
            if event["event"] in ("partial", "speech_started"):
                news.append(time.monotonic())
            if event["event"] == "partial":
                partials[0] += 1
            elif event["event"] == "final":
                if heard < len(spoken):
                    finals.append(time.monotonic() - spoken[heard])
                heard += 1
            elif event["event"] == "closed":
                break
        await sending
    for first, last in zip(voicing, spoken, strict=True):
        waits = np.diff([first, *(t for t in news if first < t < last), last])
        longest_waits.append(float(waits.max()))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def capacity(
    counts: list[int],
    window: float | None,
    stagger: bool,
    decoders: list[int],
    partial_batches: list[int],
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    lines = []
    for sentence in SENTENCES:
        frames = frames_of(_pcm(speak(sentence, "en-us", 150, folder)[0]))
        voiced = _voiced(frames)
        lines.append(_Utterance(frames, voiced[0], voiced[-1]))
    seconds = sum(len(line.frames) for line in lines) * FRAME_S + len(lines) * 1.5
    speech = sum(line.last_voiced - line.first_voiced for line in lines) * FRAME_S
    windows = {} if window is None else {"stt_stream_window_s": window}
    configs = [WorkerSettings(stt_parallel_decodes=n, **windows) for n in decoders]
    engines = [WhisperEngine(config) for config in configs]
    for engine in engines:
        engine.transcribe_samples(np.zeros(16_000, np.float32), "en", None, beam_size=1, vad=False)
    for count in counts:
        for config, engine in zip(configs, engines, strict=True):
            for batch in partial_batches:
                await _capacity_run(count, config, engine, lines, seconds, speech, stagger, batch)


async def _capacity_run(
    count: int,
    config: WorkerSettings,
    engine: WhisperEngine,
    lines: list[_Utterance],
    seconds: float,
    speech: float,
    stagger: bool,
    partial_batch: int,
) -> None:
    bus = MemoryBus()
    server = StreamServer(
        bus,
        engine,
        processing=ai_processing("bench", STT_STREAM),
        streams=count,
        beam_size=config.stt_beam_size,
        decoders=config.stt_parallel_decodes,
        window_s=config.stt_stream_window_s,
        partial_batch=partial_batch,
        poll_timeout=0.1,
    )
    serving = asyncio.create_task(server.consume())
    finals: list[float] = []
    partials = [0]
    waits: list[float] = []
    cpu = _cpu()
    # Staggered: stream i starts i/count of a sentence later, as kiosks don't talk in step.
    lead = seconds / len(lines) / count if stagger else 0.0
    await asyncio.gather(
        *(_one_stream(bus, lines, finals, partials, waits, i * lead) for i in range(count))
    )
    used = _cpu() - cpu
    serving.cancel()
    await bus.close()
    print(
        f"{count} streams, {config.stt_parallel_decodes} decoders, partials in batches of "
        f"up to {partial_batch}: last word -> final "
        f"p50 {_p(finals, 0.5):.2f} s, p95 {_p(finals, 0.95):.2f} s, max {max(finals):.2f} s; "
        f"{partials[0] / count / speech:.1f} partials per second of speech; longest wait "
        f"for news p50 {_p(waits, 0.5):.2f} s, p95 {_p(waits, 0.95):.2f} s; "
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
    parser.add_argument(
        "--development-only",
        action="store_true",
        help="only the development half (to iterate on; the held-out half is not said)",
    )
    parser.add_argument(
        "--show-failures",
        action="store_true",
        help="print the development half's failed conversations (never the held-out half's)",
    )
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--capacity", default="", help="stream counts, e.g. 1,2,4,6")
    parser.add_argument(
        "--stagger", action="store_true", help="capacity: streams start spread over a sentence"
    )
    parser.add_argument(
        "--decoders", default="1", help="capacity: STT_PARALLEL_DECODES to compare, e.g. 1,2"
    )
    parser.add_argument(
        "--partial-batches",
        default=str(PARTIAL_BATCH),
        help="capacity: the most partials decoded in one call, to compare, e.g. 1,4",
    )
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load {_load()}", flush=True)
    if not args.skip_corpus:
        await corpus(
            args.every,
            args.window,
            args.paths.split(","),
            development_only=args.development_only,
            show_failures=args.show_failures,
        )
    if args.capacity:
        await capacity(
            [int(n) for n in args.capacity.split(",")],
            args.window,
            args.stagger,
            [int(n) for n in args.decoders.split(",")],
            [int(n) for n in args.partial_batches.split(",")],
        )


if __name__ == "__main__":
    asyncio.run(main())
