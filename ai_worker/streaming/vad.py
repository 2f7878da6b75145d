"""Voice activity, frame by frame: the Silero VAD model faster-whisper ships, and the
turn-taking state machine its probabilities drive.

faster-whisper's own wrapper re-runs the model over a whole buffer and resets
its state on every call; a stream needs one model call per 32 ms frame with the
model's ``h``/``c`` and the last 64 samples carried from frame to frame
(:class:`VadState`), so each frame costs the same however long the stream is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FRAME = 512
"""Samples per model call: 32 ms at 16 kHz."""
CONTEXT = 64
"""Samples of the previous frame the model sees before each frame."""
START_THRESHOLD = 0.5
"""A frame at least this likely to be speech counts towards a start."""
STOP_THRESHOLD = 0.35
"""A frame below this counts towards the silence that ends an utterance."""
START_FRAMES = 3
"""Speech frames in a row that start an utterance (96 ms: a click or a cough doesn't)."""

Samples = npt.NDArray[np.float32]


def model_path() -> Path:
    """``silero_vad_v6.onnx`` inside the installed faster-whisper: nothing to download."""
    import faster_whisper

    return Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"


def _zeros(*shape: int) -> Samples:
    return np.zeros(shape, dtype=np.float32)


@dataclass
class VadState:
    """What the model carries from one frame of a stream to the next."""

    h: Samples = field(default_factory=lambda: _zeros(1, 1, 128))
    c: Samples = field(default_factory=lambda: _zeros(1, 1, 128))
    context: Samples = field(default_factory=lambda: _zeros(CONTEXT))


class SileroVad:
    """One ONNX session (one thread) shared by every stream of a worker."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._session: Any = onnxruntime.InferenceSession(
            str(path or model_path()), providers=["CPUExecutionProvider"], sess_options=options
        )
        self._running = threading.Lock()

    def probability(self, state: VadState, frame: Samples) -> float:
        """How likely ``frame`` (:data:`FRAME` samples in -1..1) is speech; updates ``state``."""
        window = np.concatenate((state.context, frame)).reshape(1, CONTEXT + FRAME)
        with self._running:
            probs, state.h, state.c = self._session.run(
                None, {"input": window, "h": state.h, "c": state.c}
            )
        state.context = frame[-CONTEXT:].copy()
        return float(np.ravel(probs)[0])


class Turn(Enum):
    """What a frame changed."""

    STARTED = "started"
    ENDED = "ended"


class TurnDetector:
    """quiet -> speaking after :data:`START_FRAMES` speech frames in a row; speaking ->
    quiet after ``endpoint_frames`` frames of silence (or ``max_frames`` of utterance).

    ``speech_end`` is the frame where the silence that ended the last utterance
    began; ``silence`` counts the silent frames of the utterance in progress.
    """

    def __init__(self, *, endpoint_frames: int, max_frames: int) -> None:
        self._endpoint = max(1, endpoint_frames)
        self._max = max_frames
        self.frame = 0
        self.speaking = False
        self.started = 0
        self.speech_end = 0
        self.silence = 0
        self._voiced_run = 0

    def step(self, probability: float) -> Turn | None:
        """Count one frame of ``probability``; what it changed, if anything."""
        self.frame += 1
        if not self.speaking:
            self._voiced_run = self._voiced_run + 1 if probability >= START_THRESHOLD else 0
            if self._voiced_run < START_FRAMES:
                return None
            self.speaking = True
            self.started = self.frame - START_FRAMES
            self.silence = 0
            return Turn.STARTED
        if probability < STOP_THRESHOLD:
            self.silence += 1
        elif probability >= START_THRESHOLD:
            self.silence = 0
        too_long = self.frame - self.started >= self._max
        if self.silence >= self._endpoint or too_long:
            self.speaking = False
            self._voiced_run = 0
            self.speech_end = self.frame - self.silence
            return Turn.ENDED
        return None
