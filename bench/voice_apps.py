"""The two apps ``bench/voice_analyze.py`` serves with hypercorn, one at a time.

- ``analyze_app()``: the service as deployed on one node (memory bus, SQLite
  with the demo catalog) with an instant in-process AI responder;
- ``plain_app()``: a bare Quart endpoint that validates the same body with pydantic.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator

from quart import Quart, Response, jsonify, request

from bench.common import bench_settings
from bus.ai import publish_result
from bus.keys import ai_queue
from quart_app import create_app
from quart_app.extensions import get_bus
from quart_app.schemas.voice import VoiceInputRequest

ANSWER = {
    "intent": "greeting",
    "confidence": 0.9,
    "response": "Hello! Which dinner would you like?",
    "state": "greeting",
    "state_decision": "stay",
}


def analyze_app() -> Quart:
    """The service, answering every ``llm`` request at once."""
    settings = bench_settings("voice-bench-")
    app = create_app(settings)

    @app.while_serving
    async def _responder() -> AsyncGenerator[None, None]:
        task = asyncio.create_task(_answer_forever())
        yield
        task.cancel()

    return app


async def _answer_forever() -> None:
    bus = get_bus()
    while True:
        raw = await bus.pop(ai_queue("llm"), timeout=1.0)
        if raw is not None:
            request = json.loads(raw)
            request_id = request["request_id"]
            await publish_result(
                bus,
                request["reply_to"],
                {"request_id": request_id, "status": "ok", "result": ANSWER},
            )


def plain_app() -> Quart:
    """The baseline: parse JSON, validate ``VoiceInputRequest``, answer JSON."""
    app = Quart(__name__)

    @app.post("/api/voice/analyze")
    async def analyze() -> Response:
        body = VoiceInputRequest.model_validate(await request.get_json())
        return jsonify({"session_id": body.session_id or "new", "response": "ok"})

    return app
