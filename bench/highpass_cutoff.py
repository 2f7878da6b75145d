"""Which cut-off for the streams' high-pass filter: word errors of the development
half's lines in brown noise at 15 dB SNR, transcribed as clips (beam 5, the
catalog's recognition prompt), without the filter and through it at each cut-off.
Only the development half: the held-out half is for measuring, never for tuning.

    python -m bench.highpass_cutoff --cutoffs 100,200,300,400 --lines 80
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import numpy as np

from ai_worker.engines.stt_whisper import WhisperEngine
from ai_worker.streaming.highpass import HighPass
from bench.noise import BrownNoise
from bench.streaming import SNR_DB, _pcm, _speech_rms, _voiced
from config.worker import WorkerSettings
from domain.speech_hints import recognition_prompt
from tests.support.ai_catalog import CATALOG, as_catalog
from tests.support.dialogue_corpus import spoken_corpus
from tests.support.dialogue_run import speak
from tests.support.hands_free import frames_of


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _errors(said: str, heard: str) -> int:
    """Word edit distance between what was said and what was heard."""
    wanted, got = _words(said), _words(heard)
    row = list(range(len(got) + 1))
    for i, word in enumerate(wanted, 1):
        previous, row[0] = row.copy(), i
        for j, other in enumerate(got, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (word != other))
    return row[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cutoffs", default="100,200,300,400")
    parser.add_argument("--lines", type=int, default=80)
    args = parser.parse_args()
    catalog = as_catalog(CATALOG)
    prompt = recognition_prompt(catalog, "en")
    dialogues = [d for d in spoken_corpus(catalog, "french")[::4] if not d.held_out]
    lines = [(d, line) for d in dialogues for line in d.lines][: args.lines]
    engine = WhisperEngine(WorkerSettings())
    folder = Path(tempfile.mkdtemp(prefix="bench-highpass-"))
    variants = ["clean", "noise", *args.cutoffs.split(",")]
    errors = dict.fromkeys(variants, 0)
    words = 0
    for dialogue, line in lines:
        frames = frames_of(_pcm(speak(line, dialogue.voice, dialogue.speed, folder)[0]))
        clean = np.frombuffer(b"".join(frames), "<i2").astype(np.float64)
        noise = BrownNoise(dialogue.name + line)
        noise.rms = _speech_rms(frames, _voiced(frames)) / 10 ** (SNR_DB / 20)
        noisy = np.clip(clean + noise.next(clean.size) * noise.rms, -32768, 32767)
        words += len(_words(line))
        for variant in variants:
            audio = (clean if variant == "clean" else noisy).astype(np.float32) / 32768
            if variant not in ("clean", "noise"):
                audio = HighPass(16_000, cutoff_hz=float(variant))(audio)
            heard, _ = engine.transcribe_samples(audio, "en", prompt, beam_size=5, vad=True)
            errors[variant] += _errors(line, heard)
    print(f"{len(lines)} development lines, {words} words; word errors:")
    for variant, count in errors.items():
        name = variant if variant in ("clean", "noise") else f"noise, high-pass {variant} Hz"
        print(f"  {name}: {count / words:.1%}")


if __name__ == "__main__":
    main()
