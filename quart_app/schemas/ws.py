"""Models of the WebSocket protocol's client frames and of its stats.

See docs/contract.md §6 and §2.5.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bus.keys import EVENT_ID, id_key
from domain.orders import Role

UserId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class AuthFrame(BaseModel):
    """The first frame a client sends: who it is, its token, and where to resume."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["auth"]
    user_id: UserId
    user_type: Role
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    last_event_id: Annotated[str, StringConstraints(pattern=EVENT_ID.pattern)] | None = None

    @field_validator("last_event_id")
    @classmethod
    def _a_stream_id(cls, value: str | None) -> str | None:
        if value is not None and max(id_key(value)) >= 2**64:
            raise ValueError("not a stream id: each part must be below 2**64")
        return value


class RoleCounts(BaseModel):
    """Open connections per role; every role is present."""

    customer: int = 0
    cook: int = 0
    delivery: int = 0
    manager: int = 0


class WsStats(BaseModel):
    """``GET /api/ws/stats``: connections summed over every live instance."""

    total: int = Field(description="open, authenticated sockets")
    by_role: RoleCounts
    users: int = Field(description="distinct users with at least one socket")
    instances: int = Field(description="instances that reported within the stats TTL")
