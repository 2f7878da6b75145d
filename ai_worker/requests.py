"""Reading request messages off the AI bus (docs/contract.md §1.2)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ai_worker.errors import BadRequest
from bus.keys import AI_KINDS

_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# json.loads raises RecursionError, not ValueError, on input nested deeper than
# the interpreter's recursion limit, such as ``b"[" * 60000``.
_UNREADABLE = (UnicodeDecodeError, ValueError, RecursionError)


@dataclass(frozen=True, slots=True)
class AIRequest:
    """One request as popped; ``raw`` is kept to remove it from the processing list."""

    request_id: str
    kind: str
    deadline: float
    payload: dict[str, Any]
    raw: bytes


def parse_request(raw: bytes) -> AIRequest:
    """Read a request, or raise :class:`BadRequest` (with its ``request_id`` if readable)."""
    try:
        message = json.loads(raw)
    except _UNREADABLE as exc:
        raise BadRequest(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise BadRequest("a request must be a JSON object")
    request_id = message.get("request_id")
    if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
        raise BadRequest("request_id must be 1..64 URL-safe characters")
    kind = message.get("type")
    if kind not in AI_KINDS:
        raise BadRequest(f"type must be one of {', '.join(AI_KINDS)}", request_id=request_id)
    deadline = message.get("deadline")
    if isinstance(deadline, bool) or not isinstance(deadline, int | float):
        raise BadRequest("deadline must be a number of Unix seconds", request_id=request_id)
    payload = message.get("payload")
    if not isinstance(payload, dict):
        raise BadRequest("payload must be an object", request_id=request_id)
    return AIRequest(request_id, kind, float(deadline), payload, raw)


def request_kind(raw: bytes) -> str | None:
    """The ``type`` of a raw request if it is a known kind, else ``None`` (for requeueing)."""
    try:
        message = json.loads(raw)
    except _UNREADABLE:
        return None
    kind = message.get("type") if isinstance(message, dict) else None
    return kind if kind in AI_KINDS else None
