"""Every error leaves the service in the contract's shape.

``{"error": {"code": "<snake_case>", "message": "<human text>", "details": ...}}``
with the fitting status, and never a stack trace (docs/contract.md §3). Which
exception gets which status and code: :mod:`quart_app.error_handlers`. This module
imports no web framework, so services may use its helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError


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


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The contract's error body."""
    return {"error": {"code": code, "message": message, "details": details}}


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
