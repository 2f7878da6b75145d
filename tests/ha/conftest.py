"""A master, a replica and three sentinels per test, stopped at the end (a module may
bring its own ``cluster``: a Redis Cluster); a second bus on it for an AI Server; and
the whole service on it (two instances and the worker) for the tests that take it.

A module on a Redis Cluster overrides ``service_bus_url`` as well as ``cluster``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from quart import Quart

from bus import Bus, make_bus
from tests.support.redis_cluster import RedisClusterProcesses
from tests.support.sentinel_cluster import SentinelCluster
from tests.support.service_failover import two_instances, worker_process
from tests.support.websockets import Serve


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


@pytest.fixture
def service_bus_url(cluster: SentinelCluster) -> str:
    """The ``BUS_URL`` of the service under test."""
    return cluster.url


@pytest.fixture
async def worker(service_bus_url: str, tmp_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """``voice-realtime worker`` on the bus, as its own process."""
    async with worker_process(service_bus_url, tmp_path / "worker.log") as process:
        yield process


@pytest.fixture
async def instances(
    service_bus_url: str, serve: Serve, worker: asyncio.subprocess.Process
) -> AsyncIterator[tuple[Quart, Quart]]:
    """Instances A and B on the bus, the worker serving."""
    async with two_instances(serve, service_bus_url) as pair:
        yield pair
