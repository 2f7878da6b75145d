"""A high-pass filter on a stream's audio before anything hears it, as WebRTC's audio
processing front end has: rumble, hum and brown noise lie mostly below a few hundred
hertz, speech mostly above. The bench's brown noise keeps 15% of its power through
it (-8 dB), an espeak-ng sentence 91%.

A linear-phase FIR (a windowed sinc), so it is carried from chunk to chunk by
keeping the last ``taps - 1`` samples, and costs one ``numpy.convolve`` per chunk.
"""

from __future__ import annotations

import numpy as np

from ai_worker.streaming.vad import Samples

CUTOFF_HZ = 200.0
"""Half the amplitude passes here; chosen on the development half of the spoken corpus."""
TAPS = 255
"""The transition from stop to pass is about 200 Hz wide; the delay is 127 samples (8 ms)."""


def _taps(cutoff_hz: float, sample_rate: int, taps: int) -> Samples:
    middle = np.arange(taps) - (taps - 1) / 2
    low = np.sinc(2 * cutoff_hz / sample_rate * middle) * np.hamming(taps)
    high = -low / low.sum()
    high[(taps - 1) // 2] += 1.0
    response: Samples = high.astype(np.float32)
    return response


class HighPass:
    """Filters one stream's samples chunk by chunk, as if they were one signal."""

    def __init__(self, sample_rate: int, cutoff_hz: float = CUTOFF_HZ, taps: int = TAPS) -> None:
        self._taps = _taps(cutoff_hz, sample_rate, taps)
        self._history = np.zeros(taps - 1, dtype=np.float32)

    def __call__(self, samples: Samples) -> Samples:
        """``samples`` filtered; as many as given, the filter's delay behind them."""
        joined = np.concatenate((self._history, samples))
        self._history = joined[joined.size - self._history.size :]
        return np.convolve(joined, self._taps, mode="valid").astype(np.float32)
