"""Reading request messages and their payloads off the AI bus (docs/contract.md §1.2)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ai_worker.errors import BadRequest
from bus.ai_messages import REQUEST_ID_PATTERN, RequestEnvelope, SttPayload
from bus.keys import AI_KINDS, ai_result

_Model = TypeVar("_Model", bound=BaseModel)
_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)
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
    reply_to: str
    """Where the answer goes: the request's own name for it (hash-tagged in a cluster)."""


def parse_request(raw: bytes) -> AIRequest:
    """Read a request, or raise :class:`BadRequest` (with its ``request_id`` if readable)."""
    try:
        message = json.loads(raw)
    except _UNREADABLE as exc:
        raise BadRequest(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise BadRequest("a request must be a JSON object")
    try:
        envelope = RequestEnvelope.model_validate(message)
    except ValidationError as exc:
        request_id = message.get("request_id")
        readable = isinstance(request_id, str) and _REQUEST_ID.fullmatch(request_id)
        raise BadRequest(
            f"bad request fields: {_fields(exc)}", request_id=request_id if readable else None
        ) from None
    reply_to = envelope.reply_to or ai_result(envelope.request_id)
    return AIRequest(
        envelope.request_id, envelope.type, envelope.deadline, envelope.payload, raw, reply_to
    )


def read_payload(model: type[_Model], payload: dict[str, Any]) -> _Model:
    """``payload`` as ``model``, or :class:`BadRequest` naming the bad fields."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(f"bad payload fields: {_fields(exc)}") from None


def read_stt_payload(payload: dict[str, Any]) -> tuple[SttPayload, bytes]:
    """The ``stt`` payload and its decoded audio, or :class:`BadRequest`."""
    request = read_payload(SttPayload, payload)
    try:
        return request, base64.b64decode(request.audio_b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("audio_b64 is not standard base64") from None


def _fields(error: ValidationError) -> str:
    return ", ".join(".".join(map(str, e["loc"])) or "payload" for e in error.errors())


def request_kind(raw: bytes) -> str | None:
    """The ``type`` of a raw request if it is a known kind, else ``None`` (for requeueing)."""
    try:
        message = json.loads(raw)
    except _UNREADABLE:
        return None
    kind = message.get("type") if isinstance(message, dict) else None
    return kind if kind in AI_KINDS else None
