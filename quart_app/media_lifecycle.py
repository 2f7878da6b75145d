"""The media store opens with the app (after the database) and sweeps expired pictures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import cast

from quart import Quart
from sqlalchemy import Select

from config import Settings
from config.settings import MediaStoreKind
from quart_app.extensions import get_database, get_extension
from quart_app.services.media.blobs import Blobs, DatabaseBlobs, DirectoryBlobs
from quart_app.services.media.retention import sweep_forever
from quart_app.services.media.store import MediaStore

MEDIA_STORE = "media_store"


def open_media(
    app: Quart, settings: Settings, *, claimed: Select[tuple[str | None]] | None = None
) -> None:
    """Keep images in the database (``MEDIA_STORE=database``) or under ``MEDIA_DIR``.

    Images whose id ``claimed`` does not select are deleted ``MEDIA_RETENTION``
    seconds after they were made.
    """

    @app.while_serving
    async def _media() -> AsyncGenerator[None, None]:
        database = get_database()
        blobs: Blobs = (
            DatabaseBlobs(database)
            if settings.media_store_kind is MediaStoreKind.DATABASE
            else DirectoryBlobs(settings.media_dir)
        )
        store = MediaStore(database, blobs, max_bytes=settings.max_image_bytes)
        app.extensions[MEDIA_STORE] = store
        sweeper = asyncio.create_task(
            sweep_forever(
                store,
                retention=settings.media_retention,
                interval=settings.media_sweep_interval,
                claimed=claimed,
            ),
            name="media-retention",
        )
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        del app.extensions[MEDIA_STORE]


def get_media_store() -> MediaStore:
    """This app's media store."""
    return cast(MediaStore, get_extension(MEDIA_STORE))
