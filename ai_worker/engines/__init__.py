"""Engines answer one request kind each; :func:`build_engine` picks one by configuration.

Engine modules are imported only when chosen, so a worker running the
``openai`` LLM never imports faster-whisper, and models load on first use.
"""

from __future__ import annotations

from typing import Any, Protocol

from config.worker import WorkerSettings


class Engine(Protocol):
    """Turns a request ``payload`` into a ``result`` object, or raises
    :class:`ai_worker.errors.EngineError`."""

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    async def close(self) -> None: ...


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
