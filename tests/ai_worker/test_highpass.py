"""The high-pass filter on a stream's audio: rumble out, speech in, chunks seamless."""

from __future__ import annotations

import numpy as np

from ai_worker.streaming.highpass import HighPass

RATE = 16_000


def _tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(round(RATE * seconds)) / RATE).astype(np.float32)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2)))


def _settled(samples: np.ndarray) -> np.ndarray:
    """What follows the filter's first tenth of a second (its start from silence)."""
    return samples[RATE // 10 :]


def test_a_low_hum_is_removed() -> None:
    hum = 0.5 * _tone(50)

    assert _rms(_settled(HighPass(RATE)(hum))) < 0.02 * _rms(hum)


def test_a_tone_in_the_speech_band_passes() -> None:
    voice = 0.5 * _tone(1000)

    assert abs(_rms(_settled(HighPass(RATE)(voice))) / _rms(voice) - 1) < 0.02


def test_chunk_by_chunk_is_the_same_as_all_at_once() -> None:
    audio = _tone(60) + _tone(700)
    chunked = HighPass(RATE)

    pieces = [chunked(audio[start : start + 333]) for start in range(0, audio.size, 333)]

    np.testing.assert_allclose(np.concatenate(pieces), HighPass(RATE)(audio), atol=1e-5)
