"""Deleting pictures no order carries, once they are older than ``MEDIA_RETENTION``."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import Select

from quart_app.services.media.store import SWEEP_BATCH, MediaStore

log = logging.getLogger(__name__)


async def sweep_forever(
    store: MediaStore,
    *,
    retention: float,
    interval: float,
    claimed: Select[tuple[str | None]] | None,
) -> None:
    """Every ``interval`` s delete what :meth:`MediaStore.delete_unclaimed` finds; never raises.

    Every instance sweeps; deleting is idempotent, so they need no coordination.
    """
    while True:
        await asyncio.sleep(interval)
        try:
            while (
                deleted := await store.delete_unclaimed(
                    older_than=timedelta(seconds=retention), claimed=claimed
                )
            ) == SWEEP_BATCH:
                log.info("media retention: deleted %d images, more to go", deleted)
            if deleted:
                log.info("media retention: deleted %d images", deleted)
        except Exception:
            log.exception("media retention sweep failed; trying again in %g s", interval)
