"""A master, a replica and three sentinels per test, stopped at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.sentinel_cluster import SentinelCluster


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[SentinelCluster]:
    made = SentinelCluster(tmp_path / "redis")
    try:
        await made.start()
        yield made
    finally:
        await made.stop()
