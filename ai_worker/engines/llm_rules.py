"""The ``rules`` LLM engine: the deterministic dialogue of :mod:`ai_worker.llm`."""

from __future__ import annotations

from typing import Any

from ai_worker.errors import BadRequest
from ai_worker.llm.dialogue import respond
from ai_worker.requests import read_payload
from bus.ai_messages import LlmPayload, LlmResult
from domain.catalog import Catalog
from domain.errors import DomainError


def read_llm_request(payload: dict[str, Any]) -> tuple[LlmPayload, Catalog]:
    """The validated payload and its catalog, or :class:`BadRequest`."""
    request = read_payload(LlmPayload, payload)
    try:
        catalog = request.context.catalog.to_catalog()
    except DomainError as exc:
        raise BadRequest(f"context.catalog: {exc.message}") from None
    return request, catalog


class RulesLLMEngine:
    """Answers ``llm`` requests from ``context.catalog`` without a model.

    It runs in microseconds, so it runs on the event loop.
    """

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        request, catalog = read_llm_request(payload)
        result = respond(request, catalog)
        return LlmResult.model_validate(result).model_dump(mode="json")

    async def close(self) -> None:
        return None
