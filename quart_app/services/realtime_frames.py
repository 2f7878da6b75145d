"""Server frames of the WebSocket protocol (CONTRACT section 3) and the fan-out envelope.

Every frame is a compact JSON text built here once and then handed to as many
sockets as need it; nothing in the fan-out path serializes per socket.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.orders import Role


def dumps(value: object) -> str:
    """Compact JSON; values JSON lacks (``Decimal``, ``datetime``) are written as text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def event_body(event_type: str, ts: float, data: Mapping[str, Any]) -> str:
    """A notification without its id: what the per-user and broadcast logs keep."""
    return dumps({"type": event_type, "ts": ts, "data": data})


def with_id(event_id: str, body: str) -> str:
    """The notification frame: ``body`` (a JSON object's text) with ``"id"`` spliced in first.

    Splicing instead of re-serializing lets a replay send a logged event
    without decoding it.
    """
    return f'{{"id":{dumps(event_id)},{body[1:]}'


def connected(connection_id: str, user_id: str, role: Role, heartbeat_interval: float) -> str:
    return dumps(
        {
            "type": "connected",
            "user_id": user_id,
            "user_type": role.value,
            "connection_id": connection_id,
            "heartbeat_interval": heartbeat_interval,
        }
    )


def error(code: str, message: str) -> str:
    return dumps({"type": "error", "code": code, "message": message})


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

    Exactly one of ``user_id`` and ``roles`` is set. ``event_id`` repeats the
    frame's ``id`` so a socket still replaying can drop a duplicate without
    parsing the frame.
    """

    frame: str
    event_id: str | None = None
    user_id: str | None = None
    roles: frozenset[Role] = frozenset()

    def encode(self) -> str:
        target: dict[str, Any] = (
            {"user_id": self.user_id}
            if self.user_id is not None
            else {"roles": sorted(role.value for role in self.roles)}
        )
        return dumps({"target": target, "id": self.event_id, "frame": self.frame})


class BadEnvelope(ValueError):
    """A message on ``ws:notify`` that does not have the documented shape."""


def for_user(user_id: str, frame: str, event_id: str | None) -> Envelope:
    return Envelope(frame, event_id, user_id=user_id)


def for_roles(roles: Iterable[Role], frame: str, event_id: str | None) -> Envelope:
    return Envelope(frame, event_id, roles=frozenset(roles))


def decode_envelope(raw: bytes) -> Envelope:
    """Parse a ``ws:notify`` message, or raise :class:`BadEnvelope` saying what is wrong."""
    try:
        message = json.loads(raw)
    except ValueError as problem:
        raise BadEnvelope(f"not JSON: {problem}") from None
    if not isinstance(message, dict):
        raise BadEnvelope("not a JSON object")
    frame, event_id, target = message.get("frame"), message.get("id"), message.get("target")
    if not isinstance(frame, str) or not isinstance(target, dict):
        raise BadEnvelope("needs a string 'frame' and an object 'target'")
    if event_id is not None and not isinstance(event_id, str):
        raise BadEnvelope("'id' must be a string or null")
    user_id, roles = target.get("user_id"), target.get("roles")
    if isinstance(user_id, str) and roles is None:
        return for_user(user_id, frame, event_id)
    if user_id is None and isinstance(roles, list):
        try:
            return for_roles((Role(role) for role in roles), frame, event_id)
        except ValueError:
            raise BadEnvelope(f"unknown role in {roles!r}") from None
    raise BadEnvelope("'target' needs either 'user_id' (a string) or 'roles' (a list)")
