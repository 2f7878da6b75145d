"""What the server makes of each client frame: the auth frame, then pings, pongs and mistakes."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from domain.orders import Role
from quart_app.errors import as_sentence
from quart_app.schemas.ws import AuthFrame
from quart_app.services.auth.tokens import InvalidToken, Principal, TokenKeys, decode_token
from quart_app.services.realtime import server_frames

QUIET_TYPES = frozenset({"pong", "heartbeat"})
"""Client frames that only prove the client is alive; nothing is sent back."""


class AuthRejected(Exception):
    """The first frame did not authenticate the socket; the message says why."""


def auth_frame(raw: str | bytes, max_bytes: int) -> AuthFrame:
    """The auth frame ``raw`` is, or :class:`AuthRejected` (its token not checked yet)."""
    if _too_large(raw, max_bytes):
        raise AuthRejected("The auth frame is too large.")
    try:
        return AuthFrame.model_validate_json(raw)
    except ValidationError as error:
        fields = sorted({".".join(map(str, item["loc"])) or "frame" for item in error.errors()})
        raise AuthRejected(
            f"The first frame must be a valid auth frame ({', '.join(fields)})."
        ) from None


def principal_of(auth: AuthFrame, key: TokenKeys) -> Principal:
    """The principal of an auth frame's token, or :class:`AuthRejected`.

    ``user_id`` and ``user_type`` must be the token's ``sub`` and ``role``:
    a valid token does not let its holder listen as someone else.
    """
    try:
        principal = decode_token(key, auth.token)
    except InvalidToken as error:
        raise AuthRejected(as_sentence(str(error))) from None
    if (principal.user_id, principal.role) != (auth.user_id, auth.user_type):
        raise AuthRejected("user_id and user_type must match the token.")
    return principal


def refreshed_expiry(
    raw: str, key: TokenKeys, max_bytes: int, user_id: str, role: Role
) -> float | None:
    """The expiry of the new token in an auth frame sent on an open socket, or
    :class:`AuthRejected`: it must be valid and name the socket's own user and role."""
    principal = principal_of(auth_frame(raw, max_bytes), key)
    if (principal.user_id, principal.role) != (user_id, role):
        raise AuthRejected("A new token must be for this socket's user_id and user_type.")
    return principal.expires_at


def reply_to(raw: str | bytes, max_bytes: int, refresh: Callable[[str], str]) -> str | None:
    """The frame to answer an authenticated client's frame with, if any;
    ``refresh`` answers an auth frame (a new token for this socket)."""
    if _too_large(raw, max_bytes):
        return server_frames.error("frame_too_large", f"Frames are limited to {max_bytes} bytes.")
    if isinstance(raw, bytes):
        return server_frames.error("invalid_frame", "Send text frames, each one JSON object.")
    try:
        message = server_frames.loads(raw)
    except ValueError:
        return server_frames.error("invalid_json", "The frame is not valid JSON.")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return server_frames.error(
            "invalid_frame", "A frame is a JSON object with a string 'type'."
        )
    kind = message["type"]
    if kind == "ping":
        return server_frames.PONG
    if kind in QUIET_TYPES:
        return None
    if kind == "auth":
        return refresh(raw)
    return server_frames.error("unknown_type", f"Unknown frame type {kind[:64]!r}.")


def _too_large(raw: str | bytes, max_bytes: int) -> bool:
    # A character is at most four UTF-8 bytes: encode only when it could matter.
    if len(raw) * (1 if isinstance(raw, bytes) else 4) <= max_bytes:
        return False
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode())
    return size > max_bytes
