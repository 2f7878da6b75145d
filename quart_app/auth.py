"""The request side of credentials: the bearer token of each request, and who may call what.

Tokens and the :class:`~quart_app.services.auth.tokens.Principal` they name live in
:mod:`quart_app.services.auth.tokens`, which imports no web framework. Views declare
who may call them with :func:`require_roles`; the caller's principal is then
``g.principal``. A guest has no token: :func:`optional_principal` returns ``None``
for them. An order token only reads its own order: views that accept one are
marked :func:`accepts_order_tokens`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from quart import current_app, g, request

from domain.orders import STAFF_ROLES, Role
from quart_app.errors import ApiError, as_sentence
from quart_app.extensions import get_token_keys
from quart_app.services.auth.tokens import InvalidToken, Principal, decode_token

P = ParamSpec("P")
R = TypeVar("R")


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
            principal = decode_token(get_token_keys(), token.strip())
        except InvalidToken as error:
            raise _unauthorized(as_sentence(str(error))) from None
        if principal.order_id is not None and not _accepts_order_tokens():
            raise ApiError(
                403, "forbidden", "This token only reads its own order.", {"scope": "order"}
            )
    g.principal = principal
    return principal


async def fetch_token_key() -> None:
    """Before a request: have the platform's JWKS read again if the bearer token names a
    key not seen yet, so the synchronous check below finds it (a no-op without JWKS)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        await get_token_keys().fetch_key_of(token.strip())


def optional_user_id() -> str | None:
    """The caller's user id, ``None`` for a guest; 401 for a bad token."""
    principal = optional_principal()
    return None if principal is None else principal.user_id


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
