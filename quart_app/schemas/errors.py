"""The error body every route may answer with (docs/contract.md §3), for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """What went wrong: a snake_case ``code``, a human ``message``, ``details`` or null."""

    code: str
    message: str
    details: Any


class ErrorResponse(BaseModel):
    """An error: ``{"error": {"code", "message", "details"}}`` with the fitting status."""

    error: ErrorDetail
