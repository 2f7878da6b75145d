"""Models of ``POST /api/dev/token`` (docs/contract.md §2.7)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.orders import Role
from quart_app.schemas.orders import UserId


class DevTokenRequest(BaseModel):
    """Who the development token is for."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    role: Role


class DevToken(BaseModel):
    """A token signed with ``SECRET_KEY``, and how many seconds it is valid."""

    token: str
    expires_in: int
