"""The media store: images by id, their metadata in the database, bytes in :class:`Blobs`.

An image is served at ``/media/<id>.<extension>`` by whichever instance is
asked, with an ``ETag`` (its SHA-256) for conditional requests. Images that no
order carries are deleted once older than the retention period
(:meth:`MediaStore.delete_unclaimed`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select

from quart_app.database import Database
from quart_app.models import MediaImage, utc_now
from quart_app.services.media.blobs import Blobs

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}
SWEEP_BATCH = 500
_NAME = re.compile(r"([A-Za-z0-9_-]{16,64})\.(png|jpg|webp)")


class ImageTooLarge(ValueError):
    """The bytes exceed the store's bound."""


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An image kept in the store."""

    image_id: str
    content_type: str
    etag: str
    owner: str | None
    created_at: datetime

    @property
    def name(self) -> str:
        """Its file name: the id and the extension of its type."""
        return f"{self.image_id}.{EXTENSIONS[self.content_type]}"

    @property
    def path(self) -> str:
        """Where ``GET`` serves it."""
        return f"/media/{self.name}"


def image_id_of(name: str) -> str | None:
    """The image id in a served ``name``, or ``None`` if it is no name this service gives out."""
    match = _NAME.fullmatch(name)
    return match.group(1) if match else None


class MediaStore:
    """Images of at most ``max_bytes`` each; the bytes in ``blobs``."""

    def __init__(
        self,
        database: Database,
        blobs: Blobs,
        *,
        max_bytes: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._database = database
        self.blobs = blobs
        self.max_bytes = max_bytes
        self._clock = clock

    async def put(self, data: bytes, content_type: str, *, owner: str | None = None) -> StoredImage:
        """Keep an already checked image under a new random id.

        :class:`ImageTooLarge` past the bound; ``content_type`` must be PNG,
        JPEG or WebP (ValueError otherwise).
        """
        if content_type not in EXTENSIONS:
            raise ValueError(f"unsupported image type {content_type!r}")
        if len(data) > self.max_bytes:
            raise ImageTooLarge(f"the image is larger than {self.max_bytes} bytes")
        row = MediaImage(
            id=secrets.token_urlsafe(18),
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            owner=owner,
            created_at=self._clock(),
        )
        async with self._database.session.begin() as session:
            session.add(row)
            await session.flush()  # the row before its blob (foreign key)
            await self.blobs.write(session, row.id, data)
        return stored_image(row)

    async def describe(self, image_id: str) -> StoredImage | None:
        """What is known of ``image_id``; ``None`` for an id never stored or already deleted."""
        async with self._database.session() as session:
            row = await session.get(MediaImage, image_id)
        return None if row is None else stored_image(row)

    async def read(self, image: StoredImage) -> bytes | None:
        """The bytes of ``image`` (``None`` if they were deleted meanwhile)."""
        return await self.blobs.read(image.image_id)

    async def delete_unclaimed(
        self, *, older_than: timedelta, claimed: Select[tuple[str | None]] | None
    ) -> int:
        """Delete images older than ``older_than`` whose id ``claimed`` does not select.

        ``claimed`` selects the image ids that must live on (those orders
        carry); ``None`` claims none. At most :data:`SWEEP_BATCH` a call;
        returns how many were deleted.
        """
        cutoff = self._clock() - older_than
        expired = select(MediaImage.id).where(MediaImage.created_at < cutoff).limit(SWEEP_BATCH)
        if claimed is not None:
            claimed_ids = claimed.where(claimed.selected_columns[0].is_not(None))
            expired = expired.where(MediaImage.id.not_in(claimed_ids))
        async with self._database.session.begin() as session:
            image_ids = list(await session.scalars(expired))
            if image_ids:
                await session.execute(delete(MediaImage).where(MediaImage.id.in_(image_ids)))
        await self.blobs.delete(image_ids)
        return len(image_ids)


def stored_image(row: MediaImage) -> StoredImage:
    """The :class:`StoredImage` of a ``media_images`` row."""
    return StoredImage(row.id, row.content_type, row.sha256, row.owner, row.created_at)
