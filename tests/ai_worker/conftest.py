"""Fixtures of the AI worker tests: a bus per backend, fake engines, a worker factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
import redis.asyncio as aioredis

from ai_worker.engines import Engine
from ai_worker.runner import Worker
from bus.base import Bus
from bus.memory import MemoryBus
from bus.redis import RedisBus
from config.worker import WorkerSettings
from tests.support.bus_backends import chosen_backend, open_backend
from tests.support.fake_engine import WorkerFactory
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("cluster", marks=pytest.mark.redis_cluster),
    ]
)
def bus_choice(request: pytest.FixtureRequest, redis_url: str) -> tuple[str, str]:
    """Which bus ``bus`` opens, and its URL; the session's cluster starts only for a
    test that runs on it."""
    return chosen_backend(request, redis_url)


@pytest.fixture
async def bus(bus_choice: tuple[str, str]) -> AsyncIterator[Bus]:
    """A connected, empty bus: the in-memory twin, the real Redis (its own db), then
    a Redis Cluster (the worker pops each queue on its own, answers by SPUBLISH)."""
    name, url = bus_choice
    backend: Bus
    if name == "memory":
        backend = MemoryBus()
    elif name == "cluster":
        async with open_backend("cluster", url) as made:
            yield made.bus
        return
    else:
        client = aioredis.Redis.from_url(url)
        await client.flushdb()
        await client.aclose()
        backend = RedisBus(url, max_connections=32)
    await backend.connect()
    yield backend
    await backend.close()


@pytest.fixture
async def make_worker(bus: Bus) -> AsyncIterator[WorkerFactory]:
    """Start workers on ``bus`` (fast polling); every one still running is stopped after."""
    started: list[Worker] = []

    async def make(
        engines: Mapping[str, Engine] | None = None, *, start: bool = True, **options: Any
    ) -> Worker:
        settings: dict[str, Any] = {"ai_worker_poll_timeout": 0.1, "ai_worker_heartbeat_ttl": 3.0}
        if engines is not None:
            settings["ai_worker_kinds"] = tuple(engines)
        worker = Worker(bus, WorkerSettings(**{**settings, **options}), engines=engines)
        if start:
            await worker.start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        await worker.stop(grace=0)


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAI]:
    """An OpenAI-compatible server on a free port of 127.0.0.1."""
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()
