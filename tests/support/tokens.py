"""The tests' signing secret (and the keys made of it) and bearer tokens for any user and role."""

from __future__ import annotations

from quart_app.services.auth.tokens import TokenKeys, mint_token

SECRET = "test-secret-key-that-is-long-enough-for-hs256"
KEYS = TokenKeys(SECRET)


def bearer(user_id: str, role: str, *, secret: str = SECRET, ttl: float = 3600) -> dict[str, str]:
    """An Authorization header for ``user_id`` in ``role``."""
    return {"Authorization": f"Bearer {mint_token(secret, user_id, role, ttl=ttl)}"}
