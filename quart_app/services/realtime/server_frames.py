"""Server frames of the WebSocket protocol (docs/contract.md §6) and the fan-out envelope.

Every frame is a compact JSON text built here once and then handed to as many
sockets as need it; nothing in the fan-out path serializes per socket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeGuard

import orjson

from domain.orders import Role

# As json.dumps(default=str) writes them: datetimes and dataclasses as their
# str(), keys that aren't strings as text.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


def dumps(value: object) -> str:
    """Compact JSON; values JSON lacks (``Decimal``, ``datetime``) are written as text.

    orjson writes it (a relay builds two texts per notification, and json took
    a sixth of its time); what orjson refuses (a lone surrogate, an integer
    beyond 64 bits), json writes. A float that is not finite becomes ``null``.
    """
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def loads(raw: str | bytes) -> Any:
    """Parse client or bus JSON; whatever is malformed raises :class:`ValueError`."""
    try:
        return json.loads(raw)
    except RecursionError as error:  # nesting deeper than the interpreter's recursion limit
        raise ValueError(str(error)) from None


def notification(event_type: str, event_id: str, ts: float, data: Mapping[str, Any]) -> str:
    """A notification frame: ``{"type", "id", "ts", "data"}``."""
    return dumps({"type": event_type, "id": event_id, "ts": ts, "data": data})


def connected(
    connection_id: str,
    user_id: str,
    role: Role,
    heartbeat_interval: float,
    *,
    last_event_id: str,
    epoch: str,
) -> str:
    """The answer to a valid auth frame, with the position to resume from (README)."""
    return dumps(
        {
            "type": "connected",
            "user_id": user_id,
            "user_type": role.value,
            "connection_id": connection_id,
            "heartbeat_interval": heartbeat_interval,
            "last_event_id": last_event_id,
            "epoch": epoch,
        }
    )


def error(code: str, message: str) -> str:
    return dumps({"type": "error", "code": code, "message": message})


def token_refreshed(expires_at: float | None) -> str:
    return dumps({"type": "token_refreshed", "expires_at": expires_at})


def heartbeat(ts: float) -> str:
    return dumps({"type": "heartbeat", "ts": ts})


PONG = dumps({"type": "pong"})


def replay_incomplete(last_event_id: str) -> str:
    return dumps(
        {
            "type": "replay_incomplete",
            "last_event_id": last_event_id,
            "message": "Some notifications since that id are no longer kept; reload.",
        }
    )


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message on ``ws:notify``: who should get ``frame`` (see README).

    Either ``user_ids`` or ``roles`` is non-empty. ``event_id`` repeats the
    frame's ``id`` so a socket still replaying can drop a duplicate without
    parsing the frame. ``written_at`` (Unix seconds, optional) is when the
    change it announces was written, for the delivery-time metric.
    """

    frame: str
    event_id: str | None = None
    user_ids: tuple[str, ...] = ()
    roles: frozenset[Role] = frozenset()
    written_at: float | None = None

    def encode(self) -> str:
        message: dict[str, Any] = {
            "target": addressees(self.user_ids, self.roles),
            "id": self.event_id,
            "frame": self.frame,
        }
        if self.written_at is not None:
            message["written_at"] = self.written_at
        return dumps(message)


def addressees(user_ids: tuple[str, ...], roles: frozenset[Role]) -> dict[str, list[str]]:
    """An envelope's ``target``: ``{"user_ids": [...]}``, else ``{"roles": [...]}`` sorted."""
    if user_ids:
        return {"user_ids": list(user_ids)}
    return {"roles": list(role_names(roles))}


# Both cached: the same few sets of roles recur in every broadcast, and making
# enum members costs more than the rest of a notification's bookkeeping.
@lru_cache(maxsize=64)
def role_names(roles: frozenset[Role]) -> tuple[str, ...]:
    """The values of ``roles``, sorted."""
    return tuple(sorted(Role(role).value for role in roles))


@lru_cache(maxsize=64)
def parse_roles(names: tuple[str, ...]) -> frozenset[Role]:
    """The roles ``names`` spell; :class:`ValueError` for a name that is no role."""
    return frozenset(Role(name) for name in names)


class BadEnvelope(ValueError):
    """A message on ``ws:notify`` that does not have the documented shape."""


def decode_envelope(raw: bytes) -> Envelope:
    """Parse a ``ws:notify`` message, or raise :class:`BadEnvelope` saying what is wrong."""
    try:
        message = loads(raw)
    except ValueError as problem:
        raise BadEnvelope(f"not JSON: {problem}") from None
    if not isinstance(message, dict):
        raise BadEnvelope("not a JSON object")
    frame, event_id, target = message.get("frame"), message.get("id"), message.get("target")
    if not isinstance(frame, str) or not isinstance(target, dict):
        raise BadEnvelope("needs a string 'frame' and an object 'target'")
    if event_id is not None and not isinstance(event_id, str):
        raise BadEnvelope("'id' must be a string or null")
    written_at = message.get("written_at")
    if written_at is not None and (
        isinstance(written_at, bool) or not isinstance(written_at, int | float)
    ):
        raise BadEnvelope("'written_at' must be a number or absent")
    if not _is_text(frame):
        # A \ud800 escape decodes to a lone surrogate: every socket it reached
        # would fail to encode it and close.
        raise BadEnvelope("'frame' is not valid Unicode text (a lone surrogate)")
    user_ids, roles = target.get("user_ids"), target.get("roles")
    if _strings(user_ids) and roles is None:
        return Envelope(frame, event_id, user_ids=tuple(user_ids), written_at=written_at)
    if user_ids is None and _strings(roles):
        try:
            chosen = parse_roles(tuple(roles))
            return Envelope(frame, event_id, roles=chosen, written_at=written_at)
        except ValueError:
            raise BadEnvelope(f"unknown role in {roles!r}") from None
    raise BadEnvelope("'target' needs 'user_ids' or 'roles': a non-empty list of strings")


def _is_text(frame: str) -> bool:
    try:
        frame.encode()
    except UnicodeEncodeError:
        return False
    return True


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
