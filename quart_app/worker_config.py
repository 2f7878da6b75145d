"""The reference AI worker's configuration, from the service's settings."""

from __future__ import annotations

from ai_worker.config import WorkerConfig
from config import Settings


def worker_config(settings: Settings) -> WorkerConfig:
    """``LLM_*``, ``STT_*``, ``IMAGE_*`` and ``AI_WORKER_CONCURRENCY`` as a worker's config."""
    return WorkerConfig(
        llm_engine=settings.llm_engine,
        llm_base_url=settings.llm_base_url,
        llm_model=settings.llm_model,
        llm_api_key=settings.llm_api_key,
        stt_engine=settings.stt_engine,
        stt_model=settings.stt_model,
        stt_base_url=settings.stt_base_url,
        stt_api_key=settings.stt_api_key,
        image_engine=settings.image_engine,
        image_base_url=settings.image_base_url,
        image_model=settings.image_model,
        image_api_key=settings.image_api_key,
        concurrency=settings.ai_worker_concurrency,
    )
