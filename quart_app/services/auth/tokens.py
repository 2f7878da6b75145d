"""Credentials: JWTs with ``sub``, ``role`` and ``exp`` (docs/contract.md §4, Credentials).

The service signs HS256 tokens with ``SECRET_KEY``. It accepts those, tokens
signed with ``SECRET_KEY_PREVIOUS`` while that is set (a key changes without
logging everyone out), and, with ``JWT_JWKS``, tokens a platform signed with a
private key, found by the ``kid`` in their header. ``JWT_ISSUER`` and
``JWT_AUDIENCE``, when set, are checked on every token and written into the ones
the service signs.

This module imports no web framework: services, the WebSocket manager, the CLI
and tests use it as they are; :mod:`quart_app.auth` reads tokens from requests
with it.

A guest who placed an order may get an *order token* (:func:`mint_order_token`):
a customer token for the pseudo user ``order:<order_id>`` that only reads that
order and follows it over the WebSocket.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from config import Settings, secret_key_of
from config.errors import ConfigError
from domain.orders import STAFF_ROLES, Role
from quart_app.models.base import NO_CONTROL_CHARACTERS, USER_ID_LENGTH
from quart_app.services.auth.jwks import JwksError, KeySet, is_url

log = logging.getLogger(__name__)

ALGORITHM = "HS256"
CLOCK_LEEWAY_SECONDS = 10
ORDER_FOLLOWER_PREFIX = "order:"
ORDER_CLAIM = "order_id"


@dataclass(frozen=True, slots=True)
class TokenKeys:
    """What tokens are signed with (``secret``) and checked against: ``secret``,
    ``previous``, the platform's ``jwks``, and the expected ``issuer`` and ``audience``.

    ``create_app`` builds it once (:func:`token_keys`) and hands it to what signs
    and checks tokens, so none of them can fall back to an empty key.
    """

    secret: str = field(repr=False)
    previous: str | None = field(default=None, repr=False)
    jwks: KeySet | None = None
    issuer: str | None = None
    audience: str | None = None

    def __post_init__(self) -> None:
        for key in (self.secret, self.previous):
            if key is not None and (not isinstance(key, str) or not key):
                raise ValueError("a signing key must be a non-empty string")

    def mint(self, user_id: str, role: str | Role, *, ttl: float) -> str:
        """A token for ``user_id`` in ``role`` signed with ``secret``."""
        return mint_token(self.secret, user_id, role, ttl=ttl, keys=self)

    def mint_order(self, order_id: str, *, ttl: float) -> str:
        """An order token for ``order_id`` signed with ``secret``."""
        return mint_order_token(self.secret, order_id, ttl=ttl, keys=self)

    async def fetch_key_of(self, token: str) -> None:
        """Let the platform's document be read again if ``token`` names a ``kid`` not
        seen yet (at most once per interval); :func:`decode_token` never waits for it."""
        if self.jwks is None:
            return
        kid = _kid(token)
        if kid is not None:
            await self.jwks.fetch_for(kid)


def token_keys(settings: Settings) -> TokenKeys:
    """The keys ``settings`` name; a JWKS file is read now, so a bad one stops the start
    with a :class:`ConfigError`."""
    jwks = None
    if settings.jwt_jwks is not None:
        jwks = KeySet(settings.jwt_jwks)
        if not is_url(settings.jwt_jwks):
            try:
                jwks.load()
            except JwksError as error:
                raise ConfigError(f"JWT_JWKS: {error}") from None
    return TokenKeys(
        secret_key_of(settings),
        previous=settings.secret_key_previous,
        jwks=jwks,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


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


class InvalidSignature(InvalidToken):
    """The token's signature does not match the key tried."""


def mint_token(
    secret: str,
    user_id: str,
    role: str | Role,
    *,
    ttl: float = 3600,
    now: float | None = None,
    keys: TokenKeys | None = None,
) -> str:
    """A token for ``user_id`` in ``role`` signed with ``secret``, valid for ``ttl``
    seconds; with ``keys``, it names their issuer and audience."""
    return _signed(secret, {"sub": str(user_id), "role": Role(role).value}, ttl, now, keys)


def order_follower_id(order_id: str) -> str:
    """The pseudo user whose sockets follow a guest's order ``order_id``."""
    return f"{ORDER_FOLLOWER_PREFIX}{order_id}"


def mint_order_token(
    secret: str,
    order_id: str,
    *,
    ttl: float,
    now: float | None = None,
    keys: TokenKeys | None = None,
) -> str:
    """A token that reads and follows the one order ``order_id``, valid for ``ttl`` seconds."""
    claims = {
        "sub": order_follower_id(order_id),
        "role": Role.CUSTOMER.value,
        ORDER_CLAIM: order_id,
    }
    return _signed(secret, claims, ttl, now, keys)


def _signed(
    secret: str, claims: dict[str, Any], ttl: float, now: float | None, keys: TokenKeys | None
) -> str:
    issued = time.time() if now is None else now
    claims = {**claims, "iat": int(issued), "exp": int(issued + ttl)}
    if keys is not None and keys.issuer is not None:
        claims["iss"] = keys.issuer
    if keys is not None and keys.audience is not None:
        claims["aud"] = keys.audience
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(keys: TokenKeys, token: str) -> Principal:
    """The principal a token names, or :class:`InvalidToken` saying why not.

    A token naming a ``kid`` is checked with that key of the platform's JWKS (when
    ``JWT_JWKS`` is set), by that key's own algorithm; any other token is HS256 with
    ``SECRET_KEY``, or ``SECRET_KEY_PREVIOUS``.
    """
    kid = _kid(token)
    if keys.jwks is not None and kid is not None:
        public = keys.jwks.key_for(kid)
        if public is None:
            raise InvalidToken("the token's kid names no key the service knows")
        claims = _verified(token, public, public.algorithm_name, keys)
    else:
        try:
            claims = _verified(token, keys.secret, ALGORITHM, keys)
        except InvalidSignature:
            if keys.previous is None:
                raise
            claims = _verified(token, keys.previous, ALGORITHM, keys)
    return _principal(claims)


def _kid(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None  # decoding it says why
    return kid if isinstance(kid, str) else None


def _verified(token: str, key: Any, algorithm: str, keys: TokenKeys) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=keys.issuer,
            audience=keys.audience,
            options={
                "require": ["sub", "role", "exp"],
                "verify_aud": keys.audience is not None,
            },
            leeway=CLOCK_LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as error:
        # PyJWT's own words stay in the log; the caller gets the service's.
        log.info("token refused: %s", error)
        raise _refusal(error) from None


def _refusal(error: jwt.PyJWTError) -> InvalidToken:
    if isinstance(error, jwt.ExpiredSignatureError):
        return InvalidToken("the token has expired")
    if isinstance(error, jwt.ImmatureSignatureError):
        return InvalidToken("the token is not valid yet")
    if isinstance(error, jwt.MissingRequiredClaimError):
        return InvalidToken(f"the token lacks its {error.claim} claim")
    if isinstance(error, jwt.exceptions.InvalidSubjectError):
        return InvalidToken("the token's sub must be a non-empty string")
    if isinstance(error, jwt.InvalidIssuerError):
        return InvalidToken("the token's iss is not the expected issuer")
    if isinstance(error, jwt.InvalidAudienceError):
        return InvalidToken("the token's aud is not the expected audience")
    if isinstance(error, jwt.InvalidAlgorithmError):
        return InvalidToken("the token's algorithm is not accepted for its key")
    if isinstance(error, jwt.InvalidSignatureError):
        return InvalidSignature("the token's signature does not match")
    if isinstance(error, jwt.DecodeError):
        return InvalidToken("the token is not a well-formed JWT")
    return InvalidToken("the token's claims are not valid")


def _principal(claims: dict[str, Any]) -> Principal:
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
        raise InvalidToken("the token's role is not one the service knows") from None
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
