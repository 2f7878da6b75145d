"""A master, a replica and three sentinels per test, stopped at the end (a module may
bring its own ``cluster``: a Redis Cluster); a second bus on it for an AI Server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bus import Bus, make_bus
from tests.support.redis_cluster import RedisClusterProcesses
from tests.support.sentinel_cluster import SentinelCluster


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[SentinelCluster]:
    made = SentinelCluster(tmp_path / "redis")
    try:
        await made.start()
        yield made
    finally:
        await made.stop()


@pytest.fixture
async def worker_bus(cluster: SentinelCluster | RedisClusterProcesses) -> AsyncIterator[Bus]:
    made = make_bus(cluster.url)
    yield made
    await made.close()
