"""How AI Server and bus failures reach a client (CONTRACT section 2).

``BusTimeout`` 504 ``ai_timeout``; ``AIResultError`` 502 ``ai_error`` (the AI's
own code in ``details``), or 422 with the AI's code when that code blames what
the client sent (``bad_audio``: audio that doesn't decode); a reply that isn't
a result (``MalformedAIResult``) or a result of the wrong shape 502 ``bad_ai_result``;
``BusUnavailable`` 503 ``bus_unavailable``; ``BusOverloaded`` 503
``overloaded`` with ``Retry-After``.
"""

from __future__ import annotations

import logging

from quart import Quart, Response

from bus.ai import AIResultError, MalformedAIResult
from bus.base import BusOverloaded, BusTimeout, BusUnavailable
from quart_app.errors import error_response
from quart_app.services.voice.ai_client import BadAIResult

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1
CLIENT_INPUT_ERRORS = {"bad_audio": "audio"}
"""AI error codes caused by the client's input, and the request field each blames."""


def register_voice_error_handlers(app: Quart) -> None:
    """Install the handlers for the AI and bus failures above."""

    @app.errorhandler(BusTimeout)
    async def _timeout(error: BusTimeout) -> Response:
        log.warning("AI Server timeout: %s", error)
        return error_response(504, "ai_timeout", "The AI Server did not answer in time.")

    @app.errorhandler(AIResultError)
    async def _ai_error(error: AIResultError) -> Response:
        field = CLIENT_INPUT_ERRORS.get(error.code)
        if field is not None:
            message = error.message or error.code
            return error_response(
                422,
                error.code,
                f"The {field} could not be used: {message}",
                [{"field": field, "message": message, "type": error.code}],
            )
        log.warning("AI Server error result: %s", error)
        return error_response(
            502,
            "ai_error",
            f"The AI Server could not handle the request: {error.message or error.code}",
            {"code": error.code},
        )

    @app.errorhandler(MalformedAIResult)
    async def _malformed(error: MalformedAIResult) -> Response:
        log.warning("malformed AI Server reply: %s", error.message)
        return _bad_ai_result("The AI Server's answer", [error.message])

    @app.errorhandler(BadAIResult)
    async def _bad_result(error: BadAIResult) -> Response:
        log.warning("%s", error)
        return _bad_ai_result(f"The AI Server's {error.kind} answer", error.problems)

    @app.errorhandler(BusUnavailable)
    async def _unavailable(error: BusUnavailable) -> Response:
        log.warning("bus unavailable: %s", error)
        return error_response(503, "bus_unavailable", "The AI Server can't be reached now.")

    @app.errorhandler(BusOverloaded)
    async def _overloaded(error: BusOverloaded) -> Response:
        response = error_response(
            503, "overloaded", "Too many AI requests are in progress; retry shortly."
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _bad_ai_result(what: str, problems: list[str]) -> Response:
    return error_response(
        502, "bad_ai_result", f"{what} was malformed; nothing was changed.", problems
    )
