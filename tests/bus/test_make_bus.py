"""Choosing a backend from the URL."""

from __future__ import annotations

import pytest

from bus import make_bus
from bus.memory import MemoryBus
from bus.redis import RedisBus
from bus.sentinel import BlockingSentinelPool
from tests.support.bus_backends import FakeClock


async def test_memory_urls_give_independent_memory_buses() -> None:
    first = make_bus("memory://")
    second = make_bus("memory://")
    await first.set("k", "v")

    assert isinstance(first, MemoryBus)
    assert await second.get("k") is None


async def test_options_reach_the_memory_bus() -> None:
    clock = FakeClock()
    bus = make_bus("memory://", clock=clock)
    await bus.set("k", "v", ttl=10)

    clock.advance(11)

    assert await bus.get("k") is None


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/2", "rediss://cache.example:6380/0"])
async def test_redis_urls_give_a_redis_bus(url: str) -> None:
    bus = make_bus(url, max_connections=4)

    assert isinstance(bus, RedisBus)
    assert bus.url == url
    await bus.close()


async def test_a_sentinel_url_gives_a_redis_bus_on_a_blocking_sentinel_pool() -> None:
    bus = make_bus("redis+sentinel://:pw@s1:26379,s2/mymaster/3", max_connections=4)

    assert isinstance(bus, RedisBus)
    pool = bus._client.connection_pool
    assert isinstance(pool, BlockingSentinelPool)
    assert (pool.service_name, pool.max_connections) == ("mymaster", 4)
    assert (pool.connection_kwargs["db"], pool.connection_kwargs["password"]) == (3, "pw")
    await bus.close()


def test_a_malformed_sentinel_url_is_refused() -> None:
    with pytest.raises(ValueError, match="needs the master's service name"):
        make_bus("redis+sentinel://s1:26379")


@pytest.mark.parametrize("url", ["kafka://broker:9092", "localhost:6379", ""])
def test_an_unknown_scheme_is_refused_by_name(url: str) -> None:
    with pytest.raises(
        ValueError, match=r"memory://, redis://, rediss://, redis\+sentinel://"
    ) as refused:
        make_bus(url)

    scheme = url.partition("://")[0] if "://" in url else ""
    assert repr(scheme) in str(refused.value)
