"""Where an image's bytes live: the database (every instance) or a directory (one host).

Both implement :class:`Blobs`; the metadata row is always in the database
(:mod:`quart_app.services.media.store`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.database import Database
from quart_app.models import MediaBlob


class Blobs(Protocol):
    """Bytes by image id."""

    async def write(self, session: AsyncSession, image_id: str, data: bytes) -> None:
        """Keep ``data`` under ``image_id`` (a new id), within ``session``'s transaction."""

    async def read(self, image_id: str) -> bytes | None:
        """The bytes of ``image_id``, ``None`` if there are none."""

    async def delete(self, image_ids: Collection[str]) -> None:
        """Forget these images' bytes (unknown ids are ignored)."""


class DatabaseBlobs:
    """Bytes in the ``media_blobs`` table: readable by every instance on that database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def write(self, session: AsyncSession, image_id: str, data: bytes) -> None:
        session.add(MediaBlob(image_id=image_id, data=data))

    async def read(self, image_id: str) -> bytes | None:
        async with self._database.session() as session:
            found = await session.scalar(
                select(MediaBlob.data).where(MediaBlob.image_id == image_id)
            )
        return found

    async def delete(self, image_ids: Collection[str]) -> None:
        # The rows go with their media_images row (ON DELETE CASCADE).
        return None


class DirectoryBlobs:
    """Bytes in files under a directory, written atomically (temporary file, then rename)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def write(self, session: AsyncSession, image_id: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, image_id, data)

    async def read(self, image_id: str) -> bytes | None:
        try:
            return await asyncio.to_thread((self.directory / image_id).read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, image_ids: Collection[str]) -> None:
        for image_id in image_ids:
            (self.directory / image_id).unlink(missing_ok=True)

    def _write(self, image_id: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, self.directory / image_id)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
