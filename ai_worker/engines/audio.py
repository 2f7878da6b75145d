"""Decoding uploaded audio (webm/opus, ogg, mp3, wav, mp4) to 16 kHz mono with PyAV."""

from __future__ import annotations

import io

import av
import numpy as np
import numpy.typing as npt

from ai_worker.errors import EngineError

SAMPLE_RATE = 16_000
MAX_SECONDS = 600


def decode_audio(data: bytes) -> npt.NDArray[np.float32]:
    """Samples in -1..1 at :data:`SAMPLE_RATE`, or ``EngineError("bad_audio")``."""
    chunks: list[npt.NDArray[np.float32]] = []
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise EngineError("bad_audio", "the file has no audio stream")
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    chunks.append(chunk)
                    total += chunk.size
                if total > MAX_SECONDS * SAMPLE_RATE:
                    raise EngineError("bad_audio", f"audio longer than {MAX_SECONDS} s")
            chunks.extend(
                out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                for out in resampler.resample(None)
            )
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise EngineError("bad_audio", f"could not decode the audio: {exc}") from None
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks)
