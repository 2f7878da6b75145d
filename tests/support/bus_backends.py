"""Every bus implementation as a ``Backend``: memory, fakeredis, the real Redis and a
Redis Cluster."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from bus.base import Bus
from bus.memory import MemoryBus
from tests.support.redis_cluster import RedisClusterProcesses

START = 1_764_000_000.0


def chosen_backend(request: pytest.FixtureRequest, redis_url: str) -> tuple[str, str]:
    """The parametrised backend's name and the URL of its Redis; the session's cluster
    starts only for a test that runs on it."""
    if request.param == "cluster":
        cluster: RedisClusterProcesses = request.getfixturevalue("redis_cluster")
        return "cluster", cluster.url
    return request.param, redis_url


class FakeClock:
    """Unix seconds that move only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ListenedMemoryBus(MemoryBus):
    """A memory bus that keeps its connection listeners in ``listeners``: a test says
    the subscriber connection dropped or came back by calling them."""

    def __init__(self) -> None:
        super().__init__()
        self.listeners: list[Callable[[bool], None]] = []

    def add_connection_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)


class ShardedMemoryBus(MemoryBus):
    """A memory bus that says it is sharded, as a Redis Cluster's is."""

    sharded = True


@dataclass
class Backend:
    """A bus under test, and what the contract tests need around it."""

    name: str
    bus: Bus
    # Another app instance on the same backend (the same object for memory).
    peer: Callable[[], Awaitable[Bus]]
    # Let ``seconds`` pass for expiry: the fake clock on memory, real time on Redis.
    advance: Callable[[float], Awaitable[None]]
    # PUBLISH raw bytes as another client; ``None`` where channels are ``str`` (memory).
    publish_raw: Callable[[bytes, bytes], Awaitable[None]] | None = None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # How many clients wait in a blocking pop; ``None`` where that can't be seen (fakeredis).
    blocked: Callable[[], Awaitable[int]] | None = None

    @property
    def subscriptions(self) -> int:
        count: int = getattr(self.bus, "subscription_count")  # noqa: B009 - not on Bus
        return count


async def _memory_backend() -> Backend:
    clock = FakeClock()
    bus = MemoryBus(clock=clock)

    async def same_bus() -> Bus:
        return bus

    async def advance(seconds: float) -> None:
        clock.advance(seconds)

    async def blocked() -> int:
        waiters = bus._waiters.values()  # what Redis shows in CLIENT LIST
        return sum(not waiter.future.done() for queue in waiters for waiter in queue)

    return Backend("memory", bus, same_bus, advance, closers=[bus.close], blocked=blocked)


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def _fakeredis_backend() -> Backend:
    from fakeredis import FakeAsyncRedis, FakeServer
    from redis.asyncio import BlockingConnectionPool

    from bus.redis import RedisBus

    server = FakeServer()
    raw = FakeAsyncRedis(server=server)
    closers: list[Callable[[], Awaitable[None]]] = [raw.aclose]

    async def publish_raw(channel: bytes, data: bytes) -> None:
        await raw.publish(channel, data)

    async def new_bus() -> Bus:
        # A blocking pool, as RedisBus makes for itself (redis-py's default
        # one raises past 100 commands in flight).
        client = FakeAsyncRedis(
            server=server, connection_pool_class=BlockingConnectionPool, max_connections=8
        )
        bus = RedisBus.from_client(client)
        closers.append(bus.close)
        await bus.connect()
        return bus

    return Backend("fakeredis", await new_bus(), new_bus, _sleep, publish_raw, closers)


def _admin_client(url: str) -> Redis:
    """A plain client on the server behind ``url``: for a Sentinel URL, its master."""
    from bus.sentinel import sentinel_pool
    from bus.urls import SENTINEL_SCHEME, scheme_of

    if scheme_of(url) == SENTINEL_SCHEME:
        return Redis.from_pool(sentinel_pool(url, socket_connect_timeout=2))
    return Redis.from_url(url)


async def _redis_backend(url: str) -> Backend:
    """The real Redis at ``url`` (``TEST_REDIS_URL``; a ``redis+sentinel://`` URL too)."""
    # Only this suite's own database is ever flushed (``TEST_REDIS_URL``).
    async with _admin_client(url) as client:
        await client.flushdb()
    raw = _admin_client(url)

    async def publish_raw(channel: bytes, data: bytes) -> None:
        await raw.publish(channel, data)

    database = str(raw.connection_pool.connection_kwargs.get("db", 0))

    async def blocked() -> int:
        clients = await raw.client_list()
        return sum(_is_blocked(client) and client.get("db") == database for client in clients)

    return await _real_backend("redis", url, publish_raw, raw.aclose, blocked)


async def _cluster_backend(url: str) -> Backend:
    """The Redis Cluster at ``url``, emptied: sharded pub/sub."""
    from redis.asyncio.cluster import RedisCluster

    from bus.urls import parse_cluster_url

    host, port = parse_cluster_url(url).nodes[0]
    raw = RedisCluster(host=host, port=port)
    # Only a cluster that the tests started is ever flushed.
    await raw.flushall(target_nodes=RedisCluster.PRIMARIES)

    async def publish_raw(channel: bytes, data: bytes) -> None:
        await raw.spublish(channel, data)

    async def blocked() -> int:
        by_node = await raw.client_list(target_nodes=RedisCluster.PRIMARIES)
        lists = by_node.values() if isinstance(by_node, dict) else [by_node]
        return sum(_is_blocked(client) for clients in lists for client in clients)

    return await _real_backend("cluster", url, publish_raw, raw.aclose, blocked)


def _is_blocked(client: dict[str, str]) -> bool:
    """Whether a ``CLIENT LIST`` entry waits in a blocking command (flag ``b``)."""
    return "b" in client.get("flags", "")


async def _real_backend(
    name: str,
    url: str,
    publish_raw: Callable[[bytes, bytes], Awaitable[None]],
    close_raw: Callable[[], Awaitable[None]],
    blocked: Callable[[], Awaitable[int]],
) -> Backend:
    from bus import make_bus

    closers: list[Callable[[], Awaitable[None]]] = [close_raw]

    async def new_bus() -> Bus:
        bus = make_bus(url)
        closers.append(bus.close)
        await bus.connect()
        return bus

    return Backend(name, await new_bus(), new_bus, _sleep, publish_raw, closers, blocked)


@asynccontextmanager
async def open_backend(name: str, redis_url: str) -> AsyncIterator[Backend]:
    """The ``name`` backend ("memory", "fakeredis", "redis", or "cluster" with
    ``redis_url`` a cluster's), closed on exit."""
    if name == "memory":
        made = await _memory_backend()
    elif name == "fakeredis":
        made = await _fakeredis_backend()
    elif name == "cluster":
        made = await _cluster_backend(redis_url)
    else:
        made = await _redis_backend(redis_url)
    try:
        yield made
    finally:
        for close in reversed(made.closers):
            await close()
