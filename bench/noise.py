"""Noise under spoken lines for bench/streaming.py: brown noise (mostly below a few
hundred hertz) and babble (other customers talking, in the speech band)."""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.float64]


def _rng(seed: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8]))


class Noise:
    """Endless noise, deterministic for its seed, at ``rms`` (set per line for the SNR)."""

    between_lines = True
    """Hands-free: the noise goes on while the customer is silent, not only under lines."""

    def __init__(self) -> None:
        self.rms = 0.0

    def next(self, samples: int) -> Signal:
        """The next ``samples`` of the noise at unit RMS."""
        raise NotImplementedError

    def under(self, frame: bytes) -> bytes:
        """``frame`` (PCM16) with the noise added at ``rms``."""
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        mixed = samples + self.next(samples.size) * self.rms
        return np.clip(mixed, -32768, 32767).astype("<i2").tobytes()


class BrownNoise(Noise):
    """Brown (1/f²) noise: white noise through a leaky integrator."""

    LEAK = 0.98

    def __init__(self, seed: str) -> None:
        super().__init__()
        self._rng = _rng(seed)
        self._last = 0.0

    def next(self, samples: int) -> Signal:
        white = self._rng.standard_normal(samples)
        out = np.empty(samples)
        level = self._last
        for index, value in enumerate(white):
            level = self.LEAK * level + value
            out[index] = level
        self._last = level
        return out * np.sqrt(1 - self.LEAK**2)


class Babble(Noise):
    """:data:`TALKERS` other voices at once, each saying lines of ``pool`` (PCM of other
    conversations' lines) one after another in an order of its own, without pauses."""

    TALKERS = 3
    between_lines = False
    """Between lines, babble is speech: the VAD rightly hears an utterance that does not
    end (measured: the stream ran into the service's AI timeout, close 1011)."""

    def __init__(self, seed: str, pool: list[Signal]) -> None:
        super().__init__()
        self._rng = _rng(seed)
        self._pool = [clip / np.sqrt(np.mean(clip**2)) for clip in pool if clip.any()]
        self._talkers: list[Signal] = [np.zeros(0) for _ in range(self.TALKERS)]

    def next(self, samples: int) -> Signal:
        out = np.zeros(samples)
        for index, talker in enumerate(self._talkers):
            while talker.size < samples:
                clip = self._pool[self._rng.integers(len(self._pool))]
                start = self._rng.integers(clip.size) if not talker.size else 0
                talker = np.concatenate((talker, clip[start:]))
            out += talker[:samples]
            self._talkers[index] = talker[samples:]
        return out / np.sqrt(self.TALKERS)
