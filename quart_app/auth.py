"""Credentials: HS256 JWTs with ``sub``, ``role`` and ``exp`` (docs/contract.md §4).

Views declare who may call them with :func:`require_roles`; the caller's
:class:`Principal` is then ``g.principal``. A guest has no token:
:func:`optional_principal` returns ``None`` for them.

A guest who placed an order may get an *order token* (:func:`mint_order_token`):
a customer token for the pseudo user ``order:<order_id>`` that only reads that
order (views marked :func:`accepts_order_tokens`) and follows it over the WebSocket.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import ParamSpec, TypeVar

import jwt
from quart import current_app, g, request

from domain.orders import STAFF_ROLES, Role
from quart_app.errors import ApiError, as_sentence
from quart_app.extensions import get_secret_key
from quart_app.models.base import NO_CONTROL_CHARACTERS, USER_ID_LENGTH

ALGORITHM = "HS256"
CLOCK_LEEWAY_SECONDS = 10
ORDER_FOLLOWER_PREFIX = "order:"
ORDER_CLAIM = "order_id"

P = ParamSpec("P")
R = TypeVar("R")


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


def caller_id(user_id: str | None, principal: Principal | None) -> str | None:
    """Who a request body's ``user_id`` is: a member's id checked against the token, or ``None``.

    A body ``user_id`` without a token is 401; one that isn't the token's
    ``sub`` is 403. ``user_id`` null is a guest, token or not.
    """
    if user_id is None:
        return None
    if principal is None:
        raise ApiError(401, "unauthorized", "A user_id needs a bearer token for that user.")
    if principal.user_id != user_id:
        raise ApiError(403, "forbidden", "user_id must be the token's own user.")
    return user_id


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


def optional_principal() -> Principal | None:
    """The caller of this request, ``None`` for a guest; 401 for a bad token."""
    if "principal" in g:
        return g.principal  # type: ignore[no-any-return]
    header = request.headers.get("Authorization")
    principal = None
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Use 'Authorization: Bearer <token>'.")
        try:
            principal = decode_token(get_secret_key(), token.strip())
        except InvalidToken as error:
            raise _unauthorized(as_sentence(str(error))) from None
        if principal.order_id is not None and not _accepts_order_tokens():
            raise ApiError(
                403, "forbidden", "This token only reads its own order.", {"scope": "order"}
            )
    g.principal = principal
    return principal


def accepts_order_tokens(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Mark a view that an order token may call (it checks the order itself)."""
    view.accepts_order_tokens = True  # type: ignore[attr-defined]
    return view


def _accepts_order_tokens() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "accepts_order_tokens", False)


def require_principal() -> Principal:
    """The caller of this request; 401 for a guest or a bad token."""
    principal = optional_principal()
    if principal is None:
        raise _unauthorized("This endpoint needs a bearer token.")
    return principal


def require_roles(
    *roles: Role,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a view: 401 without a valid token, 403 unless its role is in ``roles``.

    With no roles, any authenticated caller passes.
    """

    def decorator(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(view)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            principal = require_principal()
            if roles and principal.role not in roles:
                allowed = ", ".join(sorted(role.value for role in roles))
                raise ApiError(
                    403,
                    "forbidden",
                    f"This needs one of the roles: {allowed}.",
                    {"role": principal.role.value},
                )
            return await view(*args, **kwargs)

        return wrapper

    return decorator


require_staff = require_roles(*STAFF_ROLES)
require_manager = require_roles(Role.MANAGER)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message)
