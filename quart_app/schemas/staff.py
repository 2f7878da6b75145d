"""Models of ``GET /api/staff``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class StaffMember(BaseModel):
    """A cook or courier an order can be assigned to."""

    user_id: str
    role: Literal["cook", "delivery"]
    display_name: str


class StaffList(BaseModel):
    """Every known cook and courier."""

    staff: list[StaffMember]
