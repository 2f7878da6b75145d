"""``POST /api/dev/token`` (docs/contract.md §2.7): development tokens for the demo pages.

``create_app`` registers this blueprint only with ``APP_ENV=development``; in
production the route does not exist (404).
"""

from __future__ import annotations

from quart import Blueprint, request
from quart_schema import validate_request, validate_response

from quart_app.errors import ApiError
from quart_app.extensions import get_token_keys
from quart_app.hosts import is_loopback
from quart_app.schemas.dev import DevToken, DevTokenRequest

bp = Blueprint("dev", __name__, url_prefix="/api/dev")

DEV_TOKEN_TTL = 8 * 3600
"""A shift: long enough that a demo board does not sign out mid-way."""


@bp.post("/token")
@validate_request(DevTokenRequest)
@validate_response(DevToken)
async def token(data: DevTokenRequest) -> DevToken:
    """A token for ``user_id`` in ``role``, signed with ``SECRET_KEY``; for a loopback
    ``Host`` only, so a page from elsewhere that rebinds its DNS name to this machine
    cannot mint one."""
    if not is_loopback(request.host):
        raise ApiError(403, "forbidden", "Development tokens are given on localhost only.")
    signed = get_token_keys().mint(data.user_id, data.role, ttl=DEV_TOKEN_TTL)
    return DevToken(token=signed, expires_in=DEV_TOKEN_TTL)
