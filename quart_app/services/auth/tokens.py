"""Credentials: HS256 JWTs with ``sub``, ``role`` and ``exp`` (docs/contract.md §4).

This module imports no web framework: services, the WebSocket manager, the CLI
and tests use it as they are; :mod:`quart_app.auth` reads tokens from requests
with it.

A guest who placed an order may get an *order token* (:func:`mint_order_token`):
a customer token for the pseudo user ``order:<order_id>`` that only reads that
order and follows it over the WebSocket.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import jwt

from domain.orders import STAFF_ROLES, Role
from quart_app.models.base import NO_CONTROL_CHARACTERS, USER_ID_LENGTH

ALGORITHM = "HS256"
CLOCK_LEEWAY_SECONDS = 10
ORDER_FOLLOWER_PREFIX = "order:"
ORDER_CLAIM = "order_id"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The resolved key every token is signed and checked with; never empty.

    ``create_app`` builds it once from ``SECRET_KEY`` (or the development key)
    and hands it to what checks tokens, so none of them can fall back to an
    empty key.
    """

    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.secret, str) or not self.secret:
            raise ValueError("a signing key must be a non-empty string")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's ``sub`` and ``role``; ``order_id`` for an order token;
    when the token expires (``exp`` plus the clock leeway, Unix seconds; ``None`` if
    it was not from a token)."""

    user_id: str
    role: Role
    order_id: str | None = None
    expires_at: float | None = field(default=None, compare=False)

    @property
    def is_staff(self) -> bool:
        """Whether the caller is a cook, a courier or a manager."""
        return self.role in STAFF_ROLES


class InvalidToken(Exception):
    """The token is malformed, badly signed, expired or lacks a claim."""


def mint_token(
    secret: str, user_id: str, role: str | Role, *, ttl: float = 3600, now: float | None = None
) -> str:
    """A signed token for ``user_id`` in ``role``, valid for ``ttl`` seconds."""
    issued = time.time() if now is None else now
    claims = {"sub": str(user_id), "role": Role(role).value, "iat": int(issued)}
    claims["exp"] = int(issued + ttl)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def order_follower_id(order_id: str) -> str:
    """The pseudo user whose sockets follow a guest's order ``order_id``."""
    return f"{ORDER_FOLLOWER_PREFIX}{order_id}"


def mint_order_token(secret: str, order_id: str, *, ttl: float, now: float | None = None) -> str:
    """A token that reads and follows the one order ``order_id``, valid for ``ttl`` seconds."""
    issued = time.time() if now is None else now
    claims = {
        "sub": order_follower_id(order_id),
        "role": Role.CUSTOMER.value,
        ORDER_CLAIM: order_id,
        "iat": int(issued),
        "exp": int(issued + ttl),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    """The principal a token names, or :class:`InvalidToken` saying why not."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp"]},
            leeway=CLOCK_LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"the token is not valid: {error}") from None
    if not _is_unicode_text(claims):
        # JSON's \ud800 escapes decode to lone surrogates, which no UTF-8 column,
        # key or frame can hold: refused here, not by a 500 wherever they land.
        raise InvalidToken("the token's claims must be valid Unicode text")
    subject, role = claims["sub"], claims["role"]
    if not subject:  # PyJWT already insists on a string
        raise InvalidToken("the token's sub must be a non-empty string")
    # The sub becomes a users.id: anything that column cannot store is refused here, not by a 500.
    if len(subject) > USER_ID_LENGTH or not re.fullmatch(NO_CONTROL_CHARACTERS, subject):
        raise InvalidToken(
            f"the token's sub must be at most {USER_ID_LENGTH} characters, none of them control"
        )
    expires_at = float(claims["exp"]) + CLOCK_LEEWAY_SECONDS
    try:
        principal = Principal(subject, Role(role), expires_at=expires_at)
    except ValueError:
        raise InvalidToken(f"the token's role {role!r} is unknown") from None
    order_id = claims.get(ORDER_CLAIM)
    if order_id is None and not subject.startswith(ORDER_FOLLOWER_PREFIX):
        return principal
    # An order follower is named by its order: no other token may take such a name.
    if (
        not isinstance(order_id, str)
        or subject != order_follower_id(order_id)
        or principal.role is not Role.CUSTOMER
    ):
        raise InvalidToken("the token's order claim does not match its sub and role")
    return Principal(subject, principal.role, order_id, expires_at)


def _is_unicode_text(claims: dict[str, object]) -> bool:
    try:
        json.dumps(claims, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def is_self_or_staff(principal: Principal, owner_id: str | None) -> bool:
    """Whether ``principal`` may see what ``owner_id`` owns: its owner, or any staff member."""
    return principal.is_staff or principal.user_id == owner_id
