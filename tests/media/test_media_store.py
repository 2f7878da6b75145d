"""The media store: every instance serves every image; caching headers; retention."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from quart.testing import QuartClient
from sqlalchemy import select

from bus.tasks import stop_tasks
from quart_app.database import Database
from quart_app.models import MediaImage
from quart_app.services.media.blobs import Blobs, DatabaseBlobs, DirectoryBlobs
from quart_app.services.media.retention import sweep_forever
from quart_app.services.media.store import ImageTooLarge, MediaStore
from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend
from tests.support.databases import empty_database
from tests.support.images import image_bytes, image_result
from tests.support.voice_api import GENERATE, StartApp

PNG = image_bytes("PNG")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    await empty_database(postgres_url)
    return postgres_url


async def _generate(client: QuartClient, ai_server: ScriptedAIServer) -> dict[str, str]:
    ai_server.image.queue(image_result(PNG))
    response = await client.post(GENERATE, json={"prompt": "a red cake"})
    assert response.status_code == 201
    body: dict[str, str] = await response.get_json()
    return body


async def test_an_image_made_through_one_instance_is_served_by_another(
    memory_backend: Backend, start_app: StartApp, database_url: str, tmp_path: Path
) -> None:
    ai_server = ScriptedAIServer(memory_backend.bus)
    await ai_server.start()
    try:
        one, other = [
            await start_app(
                memory_backend.bus,
                database_url=database_url,
                media_store="database",
                media_dir=tmp_path / name,
            )
            for name in ("one", "other")
        ]
        made = await _generate(one, ai_server)
        served = await other.get(made["image_path"])
    finally:
        await ai_server.stop()
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert await served.get_data() == PNG
    assert not (tmp_path / "one").exists() and not (tmp_path / "other").exists()


async def test_images_are_served_with_an_etag_and_long_caching(
    memory_backend: Backend, start_app: StartApp
) -> None:
    ai_server = ScriptedAIServer(memory_backend.bus)
    await ai_server.start()
    try:
        client = await start_app(memory_backend.bus)
        made = await _generate(client, ai_server)
    finally:
        await ai_server.stop()
    first = await client.get(made["image_path"])
    etag = first.headers["ETag"]
    again = await client.get(made["image_path"], headers={"If-None-Match": etag})
    stale = await client.get(made["image_path"], headers={"If-None-Match": '"other"'})

    assert "max-age=31536000" in first.headers["Cache-Control"]
    assert "immutable" in first.headers["Cache-Control"]
    assert again.status_code == 304
    assert await again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert stale.status_code == 200
    assert await stale.get_data() == PNG
    # The same id under another extension is not the image.
    other_name = made["image_path"].removesuffix(".png") + ".jpg"
    assert (await client.get(other_name)).status_code == 404


@pytest.fixture(params=["database", "directory"])
async def store(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[MediaStore, list[datetime]]]:
    """A store on each kind of blobs, with a clock the test moves (``now[0]``)."""
    database = Database(database_url)
    await database.prepare(demo_users=True)
    blobs: Blobs = (
        DatabaseBlobs(database) if request.param == "database" else DirectoryBlobs(tmp_path / "m")
    )
    now = [datetime(2026, 11, 1, tzinfo=UTC)]
    yield MediaStore(database, blobs, max_bytes=1024, clock=lambda: now[0]), now
    await database.close()


async def test_images_nobody_claims_expire_after_the_retention(
    store: tuple[MediaStore, list[datetime]],
) -> None:
    media, now = store
    old = await media.put(PNG, "image/png", owner="customer-1")
    claimed = await media.put(PNG, "image/png")
    now[0] += timedelta(days=2)
    recent = await media.put(PNG, "image/png")
    kept = select(MediaImage.id).where(MediaImage.id == claimed.image_id)

    deleted = await media.delete_unclaimed(older_than=timedelta(days=1), claimed=kept)

    assert deleted == 1
    assert await media.describe(old.image_id) is None
    assert await media.read(old) is None
    for alive in (claimed, recent):
        assert await media.read(alive) == PNG
    assert (await media.describe(recent.image_id)) == recent
    assert (await media.describe(claimed.image_id)).owner is None  # type: ignore[union-attr]
    assert old.owner == "customer-1"


async def test_the_store_bounds_the_size(store: tuple[MediaStore, list[datetime]]) -> None:
    media, _ = store
    with pytest.raises(ImageTooLarge):
        await media.put(b"x" * 1025, "image/png")
    with pytest.raises(ValueError, match="unsupported"):
        await media.put(PNG, "image/gif")


async def test_every_instance_sweeps_in_the_background(
    store: tuple[MediaStore, list[datetime]],
) -> None:
    media, now = store
    old = await media.put(PNG, "image/png")
    now[0] += timedelta(days=2)
    sweeper = asyncio.create_task(
        sweep_forever(media, retention=86400, interval=0.01, claimed=None)
    )
    try:
        async with asyncio.timeout(10):
            while await media.describe(old.image_id) is not None:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        # Stopped while the store's database is open: a task left cancelled and not
        # awaited runs its cancellation at the loop's close, after the fixture closed it.
        await stop_tasks([sweeper])
