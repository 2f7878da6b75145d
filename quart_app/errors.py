"""Every error leaves the service in the contract's shape.

``{"error": {"code": "<snake_case>", "message": "<human text>", "details": ...}}``
with the fitting status, and never a stack trace (CONTRACT section 2).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API answers with: HTTP status, snake_case code, message, details
    (and response headers such as ``Retry-After``)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


INVALID_REQUEST = "The request is not valid."


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    """The contract's error body as a response."""
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    return response


def as_sentence(message: str) -> str:
    """``message`` with a capital first letter and a full stop, the rest untouched."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"field": "a.b", "message": ..., "type": ...}]``."""
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]),
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def _code_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def register_error_handlers(app: Quart) -> None:
    """Install the handlers that turn every exception into the contract's body."""

    @app.errorhandler(ApiError)
    async def _api_error(error: ApiError) -> Response:
        response = error_response(error.status, error.code, error.message, error.details)
        response.headers.update(error.headers)
        return response

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
