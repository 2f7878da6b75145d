"""Stored images: one row of metadata each, the bytes in ``media_blobs`` or a directory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from quart_app.models.base import USER_ID_LENGTH, Base, UtcDateTime, utc_now

IMAGE_ID_LENGTH = 64
OWNER_LENGTH = USER_ID_LENGTH + 16
"""A member's user id, or ``session:<session id>`` for a guest's conversation."""


class MediaImage(Base):
    """An image this service generated, served at ``/media/<id>.<extension>``."""

    __tablename__ = "media_images"

    id: Mapped[str] = mapped_column(String(IMAGE_ID_LENGTH), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(OWNER_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)


class MediaBlob(Base):
    """The bytes of an image, for the database media store."""

    __tablename__ = "media_blobs"

    image_id: Mapped[str] = mapped_column(
        ForeignKey("media_images.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
