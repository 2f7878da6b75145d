"""Users as this service knows them: ids come from the platform's auth service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from quart_app.models.base import USER_ID_LENGTH, Base, UtcDateTime, utc_now


class User(Base):
    """A customer or staff member; ``role`` is the one their token last carried here."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(USER_ID_LENGTH), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
