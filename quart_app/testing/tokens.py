"""Bearer tokens for any user and role, signed with the key of the app under test."""

from __future__ import annotations

from dataclasses import dataclass

from domain.orders import Role
from quart_app.services.auth.tokens import mint_token

TTL = 3600.0
"""Seconds a token made here stays valid, unless a test asks for another lifetime."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """Mints tokens the app accepts, as ``POST /api/dev/token`` or an identity service would."""

    secret: str

    def mint(self, user_id: str, role: str | Role, *, ttl: float = TTL) -> str:
        """A token for ``user_id`` in ``role`` (customer, cook, delivery or manager)."""
        return mint_token(self.secret, user_id, role, ttl=ttl)

    def bearer(self, user_id: str, role: str | Role, *, ttl: float = TTL) -> dict[str, str]:
        """The ``Authorization`` header of a request made by ``user_id`` in ``role``."""
        return {"Authorization": f"Bearer {self.mint(user_id, role, ttl=ttl)}"}
