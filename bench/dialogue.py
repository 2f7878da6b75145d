"""Completion rate of ordering conversations, typed and spoken, and spoken-turn latency.

The service runs as on the embedded default (memory bus, SQLite with the demo
catalog, the reference AI worker inside the app: rules engine, faster-whisper
tiny.en) and is driven in-process through ``POST /api/voice/stt`` and
``POST /api/voice/analyze``. The corpora come from the service's own catalog
(``tests/support/dialogue_corpus.py``); spoken clips are made by espeak-ng and sox
into a temporary directory.

    python -m bench.dialogue                 # typed and spoken, both halves
    python -m bench.dialogue --typed-only
    python -m bench.dialogue --tuning       # a third spoken sample, failures printed
    python -m bench.dialogue --spoken-only --development-only --kind customization
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from quart.testing import QuartClient

from ai_worker.engines.stt_whisper import WhisperEngine
from ai_worker.llm.text import normalize
from bench.common import SECRET, bench_settings
from config.worker import WorkerSettings
from domain.catalog import Catalog
from domain.speech_hints import recognition_prompt
from quart_app import create_app
from tests.support.dialogue_corpus import Dialogue, spoken_corpus, tuning_corpus, typed_corpus
from tests.support.dialogue_run import (
    Outcome,
    catalog_and_recommendation,
    completion_rate,
    run_dialogue,
    speak,
)
from tests.support.tokens import bearer

BASELINE_SENTENCE = "Two French dinners, grand style"
"""About three seconds as espeak-ng's en-us says it at 150 words a minute."""


@asynccontextmanager
async def serving(**overrides: Any) -> AsyncIterator[QuartClient]:
    """A test client of the service on the embedded default."""
    settings = bench_settings(
        "dialogue-", ai_worker="embedded", rate_limits_enabled=False, **overrides
    )
    async with create_app(settings).test_app() as app:
        yield app.test_client()


async def run_all(
    client: QuartClient,
    catalog: Catalog,
    dialogues: Sequence[Dialogue],
    *,
    spoken: bool,
    corrects: bool = False,
) -> list[Outcome]:
    """Every conversation of ``dialogues``, one after another."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="dialogue-clips-") as folder:
        for dialogue in dialogues:
            outcomes.append(
                await run_dialogue(
                    client,
                    dialogue,
                    catalog=catalog,
                    order_reader=bearer("manager-1", "manager", secret=SECRET),
                    clip_dir=Path(folder) if spoken else None,
                    corrects=corrects,
                )
            )
    return outcomes


async def correcting(
    client: QuartClient, catalog: Catalog, outcomes: Sequence[Outcome], *, spoken: bool
) -> list[Outcome]:
    """The same conversations with a customer who corrects a wrong read-back instead of
    saying yes to it. One in which no wrong read-back got a yes goes the same way for
    both customers (same words, same replies), so only the others are said again."""
    again = [o.dialogue for o in outcomes if o.yes_to_a_wrong_read_back]
    redone = iter(await run_all(client, catalog, again, spoken=spoken, corrects=True))
    return [next(redone) if o.yes_to_a_wrong_read_back else o for o in outcomes]


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


async def engine_baseline(catalog: Catalog, runs: int = 10) -> tuple[float, float]:
    """p50 seconds of the whisper engine alone on a 3-second clip, without and with the
    service's prompt: the floor under a spoken turn on this machine, now."""
    engine = WhisperEngine(WorkerSettings())
    prompt = recognition_prompt(catalog, "en")
    with tempfile.TemporaryDirectory(prefix="dialogue-baseline-") as folder:
        audio, _ = speak(BASELINE_SENTENCE, "en-us", 150, Path(folder))
    timings: dict[str | None, list[float]] = {None: [], prompt: []}
    engine.transcribe(audio, "en", None)  # loads the model
    for _ in range(runs):
        for hint, seconds in timings.items():
            started = time.perf_counter()
            await asyncio.to_thread(engine.transcribe, audio, "en", hint)
            seconds.append(time.perf_counter() - started)
    return statistics.median(timings[None]), statistics.median(timings[prompt])


def report(
    title: str, outcomes: Sequence[Outcome], show_failures: bool, timings: bool = True
) -> None:
    for half, held_out in (("development", False), ("held-out", True)):
        part = [o for o in outcomes if o.dialogue.held_out == held_out]
        done = sum(o.completed for o in part)
        wrong = sum(o.wrong_order for o in part)
        print(
            f"{title} {half}: {done}/{len(part)} = {completion_rate(part):.1%}, "
            f"wrong orders placed: {wrong}"
        )
        if show_failures and not held_out:
            for outcome in part:
                if not outcome.completed:
                    print(outcome.describe())
                misheard = [
                    f"  said {said!r}, heard {heard!r}"
                    for said, heard in zip(outcome.said, outcome.heard, strict=False)
                    if normalize(said) != normalize(heard)
                ]
                if misheard and outcome.dialogue.voice:
                    print(
                        f"{outcome.dialogue.name} ({outcome.dialogue.voice}):", *misheard, sep="\n"
                    )
    groups = sorted({(o.dialogue.kind, o.dialogue.language) for o in outcomes})
    for kind, language in groups:
        rates = []
        for held_out in (False, True):
            part = [
                o
                for o in outcomes
                if (o.dialogue.kind, o.dialogue.language, o.dialogue.held_out)
                == (kind, language, held_out)
            ]
            wrong = sum(o.wrong_order for o in part)
            rates.append(
                f"{sum(o.completed for o in part)}/{len(part)}"
                + (f" ({wrong} wrong)" if wrong else "")
            )
        print(f"  {title} {kind} {language}: development {rates[0]}, held-out {rates[1]}")
    turns = [t for o in outcomes for t in o.turn_seconds]
    if turns and timings:
        clips = [c for o in outcomes for c in o.clip_seconds]
        near_three = [
            t for o in outcomes for t, c in zip(o.turn_seconds, o.clip_seconds, strict=False)
            if 2.5 <= c <= 3.5
        ]  # fmt: skip
        print(
            f"{title} turns: {len(turns)}, clip p50 {statistics.median(clips):.2f} s; "
            f"stt+analyze p50 {_percentile(turns, 0.5):.2f} s, "
            f"p95 {_percentile(turns, 0.95):.2f} s;"
            f" 2.5-3.5 s clips ({len(near_three)}): p50 {_percentile(near_three, 0.5):.2f} s, "
            f"p95 {_percentile(near_three, 0.95):.2f} s"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--typed-only", action="store_true")
    parser.add_argument("--baseline-only", action="store_true")
    parser.add_argument("--spoken-only", action="store_true")
    parser.add_argument(
        "--show-failures",
        action="store_true",
        help="print the development half's failed conversations (never the held-out half's)",
    )
    parser.add_argument(
        "--tuning",
        action="store_true",
        help="only the tuning sample (in neither half), its failures printed",
    )
    parser.add_argument(
        "--development-only",
        action="store_true",
        help="only the development half (to iterate on; the held-out half is not said)",
    )
    parser.add_argument("--kind", action="append", default=[], help="only this kind (repeatable)")
    args = parser.parse_args()

    def chosen(dialogues: Sequence[Dialogue]) -> list[Dialogue]:
        return [
            d
            for d in dialogues
            if not (args.development_only and d.held_out) and (not args.kind or d.kind in args.kind)
        ]

    async with serving() as client:
        catalog, recommended = await catalog_and_recommendation(client)
        if args.baseline_only:
            print(await engine_baseline(catalog))
            return
        if args.tuning:
            dialogues = tuning_corpus(catalog, recommended)
            outcomes = await run_all(client, catalog, dialogues, spoken=True)
            for outcome in outcomes:
                if not outcome.completed:
                    print(outcome.describe())
            print(f"tuning: {sum(o.completed for o in outcomes)}/{len(outcomes)}")
            return
        if not args.spoken_only:
            started = time.perf_counter()
            outcomes = await run_all(
                client, catalog, chosen(typed_corpus(catalog, recommended)), spoken=False
            )
            report("typed", outcomes, args.show_failures)
            fixed = await correcting(client, catalog, outcomes, spoken=False)
            report("typed, correcting customer", fixed, show_failures=False, timings=False)
            print(f"typed: {time.perf_counter() - started:.1f} s")
        if not args.typed_only:
            outcomes = await run_all(
                client, catalog, chosen(spoken_corpus(catalog, recommended)), spoken=True
            )
            report("spoken", outcomes, args.show_failures)
            fixed = await correcting(client, catalog, outcomes, spoken=True)
            report("spoken, correcting customer", fixed, show_failures=False, timings=False)
            bare, prompted = await engine_baseline(catalog)
            turns = [t for o in outcomes for t in o.turn_seconds]
            print(
                f"baseline, whisper engine alone on a 3 s clip: p50 {bare:.2f} s, with the "
                f"prompt {prompted:.2f} s; spoken turn p50 / engine p50 = "
                f"{_percentile(turns, 0.5) / bare:.2f}"
            )


if __name__ == "__main__":
    asyncio.run(main())
