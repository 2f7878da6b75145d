"""Every exception the app answers, mapped to its status and code in one place.

The statuses and codes are docs/contract.md §3.

Views and services raise; :func:`register_error_handlers` turns what they
raise into the contract's body (:func:`error_response`):

- :class:`~quart_app.errors.ApiError`: its own status, code and headers;
- the domain's and the services' refusals: :data:`REFUSALS`, or 422
  ``validation_error`` naming the field (:data:`FIELD_ERRORS`);
- AI Server and bus failures: ``BusTimeout`` 504 ``ai_timeout``;
  ``AIResultError`` 502 ``ai_error`` (the AI's own code in ``details``), or 422
  with the AI's code when that code blames what the client sent
  (``bad_audio``: audio that doesn't decode); a reply that isn't a result
  (``MalformedAIResult``) or a result of the wrong shape 502 ``bad_ai_result``;
  ``BusUnavailable`` 503 ``bus_unavailable``; ``BusOverloaded`` 503
  ``overloaded`` with ``Retry-After``;
- an unreachable database (``DatabaseUnavailable``) 503 ``database_unavailable``
  with ``Retry-After``;
- request validation 422 ``validation_error``; other HTTP errors their status;
  anything else 500 ``internal_error``, logged, never a stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError
from quart import (
    Quart,
    Response,
    has_request_context,
    has_websocket_context,
    jsonify,
    request,
    websocket,
)
from quart_schema import RequestSchemaValidationError, ResponseSchemaValidationError
from werkzeug.exceptions import HTTPException

from bus.ai import AIResultError, MalformedAIResult
from bus.base import BusOverloaded, BusTimeout, BusUnavailable
from domain.errors import CatalogError, DomainError, IllegalOrderTransition, RoleNotAllowed
from quart_app.database import DatabaseUnavailable
from quart_app.errors import (
    INVALID_REQUEST,
    ApiError,
    as_sentence,
    error_body,
    validation_details,
)
from quart_app.services.orders.errors import (
    IdempotencyConflict,
    InvalidOrderItem,
    OrderConflict,
    OrderNotFound,
    UnknownStaff,
)
from quart_app.services.ratelimit.limiter import RateLimited
from quart_app.services.voice.ai_client import BadAIResult
from quart_app.services.voice.errors import (
    AudioTooLarge,
    EmptyAudio,
    IncompleteDraft,
    SessionBusy,
    SessionCompleted,
    SessionForbidden,
    SessionNotConfirmed,
    SessionNotFound,
    StreamRefused,
    TooManyStreams,
    UnsupportedAudio,
)

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1
DATABASE_RETRY_AFTER_SECONDS = 5
"""A database back from a restart takes seconds, not the moment an AI slot does."""
CLIENT_INPUT_ERRORS = {"bad_audio": "audio"}
"""AI error codes caused by the client's input, and the request field each blames."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """How one refusal is answered: status, code and, if any, what goes in ``details``."""

    status: int
    code: str
    details: Callable[[Any], Any] | None = None
    headers: Callable[[Any], dict[str, str]] | None = None


REFUSALS: dict[type[DomainError], Refusal] = {
    IllegalOrderTransition: Refusal(409, "illegal_transition"),
    RoleNotAllowed: Refusal(403, "forbidden"),
    OrderNotFound: Refusal(404, "not_found"),
    OrderConflict: Refusal(409, "conflict"),
    IdempotencyConflict: Refusal(409, "idempotency_conflict"),
    SessionNotFound: Refusal(404, "session_not_found", lambda e: {"session_id": e.session_id}),
    SessionForbidden: Refusal(403, "session_forbidden"),
    SessionBusy: Refusal(409, "session_busy"),
    SessionNotConfirmed: Refusal(409, "session_not_confirmed", lambda e: {"stage": e.stage}),
    IncompleteDraft: Refusal(409, "incomplete_order"),
    SessionCompleted: Refusal(409, "session_completed"),
    UnsupportedAudio: Refusal(
        415, "unsupported_media_type", lambda e: {"content_type": e.content_type}
    ),
    EmptyAudio: Refusal(400, "empty_audio"),
    AudioTooLarge: Refusal(413, "audio_too_large"),
    TooManyStreams: Refusal(429, "too_many_streams", lambda e: {"limit": e.limit}),
    StreamRefused: Refusal(503, "ai_unavailable"),
    RateLimited: Refusal(
        429,
        "rate_limited",
        lambda e: {
            "limit": e.refusal.endpoint,
            "amount": e.refusal.limit.amount,
            "period_seconds": e.refusal.limit.seconds,
            "retry_after": e.refusal.retry_after,
        },
        lambda e: {"Retry-After": str(e.refusal.retry_after)},
    ),
}

FIELD_ERRORS: dict[type[DomainError], Callable[[Any], tuple[str, str]]] = {
    CatalogError: lambda e: (e.field, _type_of(e)),
    InvalidOrderItem: lambda e: (e.field, _type_of(e.cause)),
    UnknownStaff: lambda e: ("staff_id", "unknown_staff"),
}
"""Refusals answered 422 ``validation_error``: the field at fault and the error's type."""


FAILURES: dict[type[Exception], tuple[str, str]] = {
    BusTimeout: ("ai_timeout", "The AI Server did not answer in time."),
    MalformedAIResult: ("bad_ai_result", "The AI Server's answer was malformed."),
    BadAIResult: ("bad_ai_result", "The AI Server's answer was malformed."),
    AIResultError: ("ai_error", "The AI Server could not handle the request."),
    BusUnavailable: ("bus_unavailable", "The AI Server can't be reached now."),
    BusOverloaded: ("overloaded", "Too many AI requests are in progress; retry shortly."),
}
"""AI Server and bus failures: their code and message (most specific class first)."""


def describe(error: Exception) -> tuple[str, str] | None:
    """The code and message an error frame gives ``error`` (a refusal, or an AI Server or
    bus failure), as its HTTP answer would; ``None`` for anything else."""
    if isinstance(error, DomainError):
        refusal = next((r for kind, r in REFUSALS.items() if isinstance(error, kind)), None)
        return None if refusal is None else (refusal.code, as_sentence(error.message))
    return next((found for kind, found in FAILURES.items() if isinstance(error, kind)), None)


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    """The contract's error body as a response."""
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    return response


def register_error_handlers(app: Quart) -> None:
    """Install the handlers that turn every exception into the contract's body."""

    @app.errorhandler(ApiError)
    async def _api_error(error: ApiError) -> Response:
        response = error_response(error.status, error.code, error.message, error.details)
        response.headers.update(error.headers)
        return response

    for kind, refusal in REFUSALS.items():
        app.register_error_handler(kind, _answer_refusal(refusal))
    for kind, explain in FIELD_ERRORS.items():
        app.register_error_handler(kind, _answer_invalid_field(explain))
    _register_ai_and_bus_handlers(app)
    _register_http_handlers(app)


def _answer_refusal(refusal: Refusal) -> Callable[[DomainError], Awaitable[Response]]:
    async def answer(error: DomainError) -> Response:
        details = refusal.details(error) if refusal.details else None
        response = error_response(refusal.status, refusal.code, as_sentence(error.message), details)
        if refusal.headers is not None:
            response.headers.update(refusal.headers(error))
        return response

    return answer


def _answer_invalid_field(
    explain: Callable[[Any], tuple[str, str]],
) -> Callable[[DomainError], Awaitable[Response]]:
    async def answer(error: DomainError) -> Response:
        field, kind = explain(error)
        details = [{"field": field, "message": error.message, "type": kind}]
        return error_response(422, "validation_error", INVALID_REQUEST, details)

    return answer


def _type_of(error: Exception) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


def _register_ai_and_bus_handlers(app: Quart) -> None:
    @app.errorhandler(BusTimeout)
    async def _timeout(error: BusTimeout) -> Response:
        log.warning("AI Server timeout: %s", error)
        return error_response(504, *FAILURES[BusTimeout])

    @app.errorhandler(AIResultError)
    async def _ai_error(error: AIResultError) -> Response:
        # The AI Server's own words (a decoder's, a model's) stay in the log.
        log.warning("AI Server error result: %s", error)
        field = CLIENT_INPUT_ERRORS.get(error.code)
        if field is not None:
            message = f"The {field} could not be decoded."
            return error_response(
                422, error.code, message, [{"field": field, "message": message, "type": error.code}]
            )
        return error_response(
            502,
            "ai_error",
            "The AI Server could not handle the request.",
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
        return error_response(503, *FAILURES[BusUnavailable])

    @app.errorhandler(BusOverloaded)
    async def _overloaded(error: BusOverloaded) -> Response:
        response = error_response(503, *FAILURES[BusOverloaded])
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(DatabaseUnavailable)
    async def _database_unavailable(error: DatabaseUnavailable) -> Response:
        log.warning("%s", error)
        response = error_response(
            503, "database_unavailable", "The database can't be reached now; nothing was changed."
        )
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response


def _bad_ai_result(what: str, problems: list[str]) -> Response:
    return error_response(
        502, "bad_ai_result", f"{what} was malformed; nothing was changed.", problems
    )


def _register_http_handlers(app: Quart) -> None:
    @app.errorhandler(RequestSchemaValidationError)
    async def _invalid_request(error: RequestSchemaValidationError) -> Response:
        cause = error.validation_error
        if isinstance(cause, ValidationError):
            return error_response(
                422, "validation_error", INVALID_REQUEST, validation_details(cause)
            )
        return error_response(400, "invalid_body", "The request body must be a JSON object.")

    @app.errorhandler(ResponseSchemaValidationError)
    async def _invalid_response(error: ResponseSchemaValidationError) -> Response:
        log.error("response failed its schema: %s", error.validation_error)
        return error_response(500, "internal_error", "The server produced an invalid answer.")

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description or HTTPStatus(status).phrase
        response = error_response(status, _code_for(status), message)
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    async def _unexpected(error: Exception) -> Response:
        # Also reached from WebSocket handlers, where there is no `request`.
        where = (
            f"{request.method} {request.path}"
            if has_request_context()
            else f"websocket {websocket.path}"
            if has_websocket_context()
            else "no request"
        )
        log.exception("unhandled error on %s", where)
        return error_response(500, "internal_error", "An unexpected error occurred.")


def _code_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"
