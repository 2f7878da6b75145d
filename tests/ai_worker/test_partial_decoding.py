"""The whisper engine's partial decoding (the words so far while a customer speaks):
one greedy decode with no fallback, its tokens bounded by the audio's length, in a
short encoder window, several streams' partials in one batch."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ai_worker.engines.stt_whisper import (
    PARTIAL_MIN_WINDOW_S,
    WhisperEngine,
    partial_token_limit,
    without_restart,
)
from config.worker import WorkerSettings
from tests.support.hands_free import spoken_pcm

PROMPT = "French Grand Simple Deluxe Valentine English Champagne dinner feast"


class _Recording:
    """Stands in for faster-whisper's CTranslate2 model: passes every call on, and
    keeps what each ``encode`` and ``generate`` was given."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.encoded: list[tuple[int, ...]] = []
        self.generated: list[tuple[list[list[int]], dict[str, Any]]] = []

    def encode(self, features: Any, **options: Any) -> Any:
        self.encoded.append(tuple(features.shape))
        return self._model.encode(features, **options)

    def generate(self, encoded: Any, prompts: list[list[int]], **options: Any) -> Any:
        self.generated.append(([list(prompt) for prompt in prompts], options))
        return self._model.generate(encoded, prompts, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


@pytest.fixture(scope="module")
def engine() -> WhisperEngine:
    engine = WhisperEngine(WorkerSettings())
    engine.transcribe_partials([(np.zeros(16_000, np.float32), "en", None)])  # loads it
    return engine


@pytest.fixture
def calls(engine: WhisperEngine) -> Iterator[_Recording]:
    model = engine._load()
    recording = _Recording(model.model)
    model.model = recording
    try:
        yield recording
    finally:
        model.model = recording._model


def _samples(line: str, directory: Path) -> np.ndarray:
    pcm = spoken_pcm([line], directory, gap=0.0)
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def _no_timestamps(engine: WhisperEngine) -> int:
    return int(engine._load().hf_tokenizer.token_to_id("<|notimestamps|>"))


def test_a_partial_is_one_greedy_decode_bounded_by_its_audio_in_a_short_window(
    engine: WhisperEngine, calls: _Recording, tmp_path: Path
) -> None:
    speech = _samples("two french dinners, grand style please", tmp_path)
    seconds = speech.size / 16_000

    [(text, language)] = engine.transcribe_partials([(speech, "en", PROMPT)])

    assert "french" in text.lower() and "dinner" in text.lower()
    assert language == "en"
    window = max(PARTIAL_MIN_WINDOW_S, math.ceil(seconds + 1))
    assert calls.encoded == [(1, 80, round(window * 100))]
    [(prompts, options)] = calls.generated  # no second decode at a higher temperature
    assert options["beam_size"] == 1
    assert options["no_repeat_ngram_size"] == 3
    assert options["max_length"] == len(prompts[0]) + partial_token_limit(seconds)
    assert prompts[0][-1] == _no_timestamps(engine)


def test_a_short_partial_is_encoded_in_the_shortest_window(
    engine: WhisperEngine, calls: _Recording
) -> None:
    engine.transcribe_partials([(np.zeros(8_000, np.float32), "en", None)])

    assert calls.encoded == [(1, 80, round(PARTIAL_MIN_WINDOW_S * 100))]
    assert calls.generated[0][1]["max_length"] == len(calls.generated[0][0][0]) + 6


def test_silence_gives_a_partial_no_words(engine: WhisperEngine) -> None:
    assert engine.transcribe_partials([(np.zeros(32_000, np.float32), "en", PROMPT)]) == [
        ("", "en")
    ]


def test_several_streams_partials_are_encoded_together_and_generated_by_prompt_length(
    engine: WhisperEngine, calls: _Recording, tmp_path: Path
) -> None:
    french = _samples("two french dinners, grand style please", tmp_path)
    valentine = _samples("one valentine dinner, simple style", tmp_path)
    yes = _samples("yes please, place the order", tmp_path)

    heard = engine.transcribe_partials(
        [(french, "en", PROMPT), (yes, "en", None), (valentine, "en", PROMPT)]
    )

    assert "french" in heard[0][0].lower()
    assert "yes" in heard[1][0].lower()
    assert "valentine" in heard[2][0].lower()
    longest = max(french.size, valentine.size, yes.size) / 16_000
    window = max(PARTIAL_MIN_WINDOW_S, math.ceil(longest + 1))
    assert calls.encoded == [(3, 80, round(window * 100))]
    # whisper's start token must be at one place in a generate call's prompts
    assert sorted(len(prompts) for prompts, _ in calls.generated) == [1, 2]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("2 French 2 french dinners", "2 French"),
        ("Yes, please, that's it right. Yes, Please", "Yes, please, that's it right."),
        ("Can I? Can I...", "Can I?"),
        ("2 3 2", "2 3"),
        ("Two French dinners, grand style please", "Two French dinners, grand style please"),
        ("Two French dinners and two Valentine", "Two French dinners and two Valentine"),
        ("Yes please", "Yes please"),
    ],
)
def test_a_partial_stops_where_whisper_starts_it_again(text: str, kept: str) -> None:
    assert without_restart(text) == kept
