"""The ``openai`` LLM engine: any OpenAI-compatible chat-completions endpoint.

The model is asked for one JSON object with the fields of the ``llm`` result;
the answer is validated for shape, and its codes and numbers go on as the
model proposed them: the service refuses what the catalog does not allow and
asks the customer about it, as it does for every engine.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from ai_worker.engines.llm_rules import read_llm_request
from ai_worker.engines.openai_http import OpenAIClient
from ai_worker.errors import UpstreamError
from bus.ai_messages import LlmPayload, LlmResult
from config.worker import WorkerSettings
from domain.catalog import Catalog

SYSTEM_PROMPT = """\
You are the voice ordering assistant of a dinner delivery service. Customers
speak Korean or English; answer in the language they used. Help them choose
one dinner from the catalog, its style, how many, and ingredient changes, then
confirm. Reply with ONE JSON object and nothing else, with these fields:
intent (order|inquiry|recommendation|greeting|confirm|cancel|unknown),
confidence (0..1), response (what you say to the customer), analysis (object),
recommended_menu ({code,name,description,price,reason} or null), alternatives
(list of the same), additional_questions (list of strings), order_state
({menu_code, style_code, quantity, customizations: {ingredient_code: units per
dinner}}), state (greeting|menu_selection|style_selection|customization|
confirmation), state_decision (stay|advance|back|confirm|cancel).
Use only codes from the catalog; a style must be one the menu lists. Go to
style_selection only with a menu, to customization or confirmation only with a
menu and a style. Say state_decision "confirm" only at confirmation when the
customer agrees to place the order; "cancel" when they give up ordering."""


class OpenAILLMEngine:
    """Answers ``llm`` requests through ``config.llm_base_url``/chat/completions."""

    def __init__(self, config: WorkerSettings) -> None:
        self._model = config.llm_model
        self._temperature = config.llm_temperature
        self._client = OpenAIClient(
            config.llm_base_url or "", config.llm_api_key, config.ai_worker_http_timeout
        )

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        request, catalog = read_llm_request(payload)
        reply = await self._client.post(
            "/chat/completions",
            {
                "model": self._model,
                "messages": _messages(request),
                "response_format": {"type": "json_object"},
                "temperature": self._temperature,
            },
        )
        return _checked(_content(reply), catalog)

    async def close(self) -> None:
        await self._client.close()


def _messages(request: LlmPayload) -> list[dict[str, str]]:
    context = request.context
    facts = context.model_dump(
        mode="json",
        include={
            "catalog",
            "stage",
            "order_state",
            "order_history",
            "active_events",
            "context_summary",
        },
    )
    history = [message.model_dump() for message in context.messages]
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "system", "content": "Context: " + json.dumps(facts, ensure_ascii=False)},
        *history,
        {"role": "user", "content": request.transcript},
    ]


def _content(reply: dict[str, Any]) -> dict[str, Any]:
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise UpstreamError("the chat completion has no message") from None
    text = str(content).strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    try:
        answer = json.loads(text)
    except ValueError:
        raise UpstreamError("the model did not answer JSON") from None
    if not isinstance(answer, dict):
        raise UpstreamError("the model did not answer a JSON object")
    return answer


def _checked(answer: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    try:
        result = LlmResult.model_validate(answer)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise UpstreamError(f"the model's answer has bad fields: {fields}") from None
    order = result.order_state
    menu = catalog.find_menu(order.menu_code or "")
    result.customization_overrides = dict(order.customizations or {})
    result.menu_selection = catalog.menus.index(menu) if menu else None
    styles = [s.code for s in menu.styles] if menu else []
    result.style_selection = styles.index(order.style_code) if order.style_code in styles else None
    if result.quantity is None:
        result.quantity = order.quantity
    return result.model_dump(mode="json")
