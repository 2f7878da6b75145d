"""A master, a replica and three sentinels per test, stopped at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.ha.cluster import SentinelCluster
from tests.realtime.conftest import connect, serve


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[SentinelCluster]:
    made = SentinelCluster(tmp_path / "redis")
    try:
        await made.start()
        yield made
    finally:
        await made.stop()


# The realtime suite's fixtures: app instances that serve, and authenticated sockets.
__all__ = ["connect", "serve"]
