"""Hands-free against push-to-talk, line by line: the development half's lines (of every
``--every``-th spoken conversation) transcribed as a clip, as ``/api/voice/stt`` does, and
as a stream, through the reference worker's recognizer (its VAD, endpoint and final decode)
fed the line's 20 ms frames and then silence; both with the catalog's recognition prompt.
Word errors of each path, the lines a stream heard as more than one utterance, and the
lines the stream heard worse than the clip, printed. Only the development half: the
held-out half is for measuring, never for tuning. The frames are fed as fast as the
recognizer takes them: a final's words do not depend on the pace (the partials do).

    python -m bench.stream_vs_clip --every 4
    python -m bench.stream_vs_clip --every 4 --window 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from ai_worker.engines.stt_whisper import WhisperEngine
from ai_worker.streaming.recognizer import Decoder, StreamRecognizer
from ai_worker.streaming.vad import SileroVad
from bench.highpass_cutoff import _errors, _words
from bench.streaming import _pcm
from bus.ai_messages import END_FIELD, PCM_FIELD, SttStreamPayload
from bus.memory import MemoryBus
from config.worker import WorkerSettings
from domain.speech_hints import recognition_prompt
from tests.support.ai_catalog import CATALOG, as_catalog
from tests.support.dialogue_corpus import spoken_corpus
from tests.support.dialogue_run import speak
from tests.support.hands_free import frames_of

SILENCE_AFTER = 1.5
"""Seconds of silence streamed after each line: more than the endpoint."""


class TimedEngine(WhisperEngine):
    """The engine, counting the time its whole decodes (a stream's finals) take."""

    seconds = 0.0
    decodes = 0

    def transcribe_samples(self, *args: Any, **kwargs: Any) -> tuple[str, str | None]:
        started = time.perf_counter()
        try:
            return super().transcribe_samples(*args, **kwargs)
        finally:
            if kwargs.get("window_s") is not None or not kwargs.get("vad", True):
                self.seconds += time.perf_counter() - started
                self.decodes += 1


async def streamed(
    pcm: bytes, prompt: str, engine: TimedEngine, vad: SileroVad, config: WorkerSettings
) -> list[str]:
    """The finals of ``pcm`` streamed to one recognizer, then silence, then ``end``."""
    bus = MemoryBus()
    await bus.connect()
    decoder = Decoder(engine, beam_size=config.stt_beam_size, window_s=config.stt_stream_window_s)
    payload = SttStreamPayload(
        audio_key="audio", language="en", prompt=prompt, endpoint_ms=500, max_utterance_s=30
    )
    recognizer = StreamRecognizer(bus, "bench", "events", payload, vad, decoder)
    finals = []
    async with await bus.subscribe("events") as events:
        silence = bytes(round(SILENCE_AFTER * 16_000) * 2)
        for frame in frames_of(pcm + silence):
            await bus.stream_add("audio", {PCM_FIELD: frame}, maxlen=1_000_000, ttl=120)
        await bus.stream_add("audio", {END_FIELD: b""}, maxlen=1_000_000, ttl=120)
        await recognizer.run()
        while True:
            message = await events.get()
            assert message is not None
            event = json.loads(message.data)["result"]
            if event["event"] == "final":
                finals.append(event["text"])
            elif event["event"] == "closed":
                break
    await bus.close()
    return finals


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=4, help="every n-th spoken conversation")
    parser.add_argument("--window", type=float, default=None, help="STT_STREAM_WINDOW_S")
    parser.add_argument("--quiet", action="store_true", help="counts only, no lines printed")
    args = parser.parse_args()
    catalog = as_catalog(CATALOG)
    prompt = recognition_prompt(catalog, "en")
    dialogues = [d for d in spoken_corpus(catalog, "french")[:: args.every] if not d.held_out]
    lines = list(dict.fromkeys((d.voice, d.speed, line) for d in dialogues for line in d.lines))
    windows = {} if args.window is None else {"stt_stream_window_s": args.window}
    config = WorkerSettings(**windows)
    engine, vad = TimedEngine(config), SileroVad()
    folder = Path(tempfile.mkdtemp(prefix="bench-stream-vs-clip-"))
    words = clip_errors = stream_errors = split = worse = better = 0
    for voice, speed, line in lines:
        clip, _ = speak(line, voice, speed, folder)
        heard = engine.transcribe(clip, "en", prompt)["text"]
        finals = await streamed(_pcm(clip), prompt, engine, vad, config)
        words += len(_words(line))
        by_clip, by_stream = _errors(line, heard), _errors(line, " ".join(finals))
        clip_errors += by_clip
        stream_errors += by_stream
        split += len(finals) > 1
        worse += by_stream > by_clip
        better += by_stream < by_clip
        if (by_stream != by_clip or len(finals) > 1) and not args.quiet:
            print(f"{voice} {speed} said {line!r}\n  clip   {heard!r}\n  stream {finals!r}")
    print(
        f"{len(lines)} development lines, {words} words (window {config.stt_stream_window_s:g} s): "
        f"word errors clip {clip_errors / words:.1%}, stream {stream_errors / words:.1%}; "
        f"the stream worse on {worse} lines, better on {better}; heard as more than one "
        f"utterance {split}; a stream's whole decode {engine.seconds / engine.decodes:.2f} s "
        f"on average ({engine.decodes})",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
