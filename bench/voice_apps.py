"""The two apps ``bench/voice_analyze.py`` serves with hypercorn, one at a time.

- ``analyze_app()``: the service as deployed on one node (memory bus, SQLite
  with the demo catalog), its ``llm`` requests answered at once by the testing
  kit's scripted AI Server in the same process;
- ``plain_app()``: a bare Quart endpoint that validates the same body with pydantic.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from quart import Quart, Response, jsonify, request

from bench.common import bench_settings
from quart_app import create_app
from quart_app.extensions import get_bus
from quart_app.schemas.voice import VoiceInputRequest
from quart_app.testing import ScriptedAIServer

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
    async def _ai_server() -> AsyncGenerator[None, None]:
        async with ScriptedAIServer(get_bus(), kinds=["llm"]) as server:
            server.llm.always(ANSWER)
            yield

    return app


def plain_app() -> Quart:
    """The baseline: parse JSON, validate ``VoiceInputRequest``, answer JSON."""
    app = Quart(__name__)

    @app.post("/api/voice/analyze")
    async def analyze() -> Response:
        body = VoiceInputRequest.model_validate(await request.get_json())
        return jsonify({"session_id": body.session_id or "new", "response": "ok"})

    return app
