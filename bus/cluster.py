"""The bus on a Redis Cluster (7.0 or later): commands by slot, sharded pub/sub.

Every command goes to the master that owns its key's slot (redis-py's
``RedisCluster`` follows ``MOVED``/``ASK`` and refreshes its slot map after a
failover). The commands that name several keys keep to one slot, as the cluster
requires: the caller gives such keys one hash tag (``{...}``), except for
``get_many`` and ``delete``, which split their keys by slot. ``publish`` is
``SPUBLISH`` and ``subscribe`` is ``SSUBSCRIBE`` (:mod:`bus.cluster_subscriber`):
a message crosses only the shard that owns its channel, where a classic
``PUBLISH`` would cross every node. Pattern subscriptions don't exist in
sharded pub/sub, so :meth:`ClusterBus.psubscribe` refuses (:attr:`Bus.sharded`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection, Connection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException

from bus.base import BusError, BusMisconfigured, BusUnavailable, Data, Subscription
from bus.cluster_subscriber import ShardedSubscriber
from bus.encoding import to_bytes
from bus.redis import RedisBus
from bus.redis_errors import translated
from bus.redis_stream import ConnectionSource
from bus.urls import CLUSTER_SCHEME, parse_cluster_url

# What redis-py says when a node it asks for the slot map runs without cluster mode.
_NOT_A_CLUSTER = "Cluster mode is not enabled"


class _NodePool:
    """A cluster node's connections, lent one at a time (for streamed commands)."""

    def __init__(self, node: ClusterNode) -> None:
        self._node = node

    async def get_connection(self) -> AbstractConnection:
        return self._node.acquire_connection()

    async def release(self, connection: AbstractConnection) -> None:
        self._node.release(cast(Connection, connection))


class ClusterBus(RedisBus):
    """The bus on a Redis Cluster named by ``redis+cluster://[:password@]host:port[,...]``.

    Each master gets at most ``max_connections`` command connections; a command
    past that fails with :class:`bus.base.BusOverloaded` (a deliberate cap: the
    cluster client has no blocking pool). Subscriptions share one connection per
    master that owns a subscribed channel. ``pool_timeout`` is accepted for
    :func:`bus.make_bus`'s sake and unused.
    """

    sharded = True

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 64,
        pool_timeout: float = 5.0,
        connect_timeout: float = 2.0,
        socket_timeout: float = 5.0,
        health_check_interval: float = 5.0,
        client_name: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        parts = parse_cluster_url(url)
        self._cluster = RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in parts.nodes],
            username=parts.username,
            password=parts.password,
            max_connections=max_connections,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            health_check_interval=health_check_interval,
            client_name=client_name,
        )
        # RedisCluster answers every command RedisBus sends, routed by key.
        self._setup(url, cast(Redis, self._cluster), clock, socket_timeout)
        self._sharded = ShardedSubscriber(
            self._cluster, self._node_pubsub_connection, health_check_interval=health_check_interval
        )

    @property
    def connection_pool(self) -> Any:
        raise TypeError("a cluster bus has one pool per node, not one connection_pool")

    def _pool_of(self, key: str) -> ConnectionSource:
        return _NodePool(self._node_of(key))

    def _node_of(self, key: str) -> ClusterNode:
        node = self._cluster.get_node_from_key(key)
        if node is None:
            raise BusUnavailable(f"no master owns the slot of {key!r}")
        return node

    def master_of(self, key: str) -> str:
        """The master (``host:port``) that owns ``key``'s slot, as this bus last heard."""
        return self._node_of(key).name

    def _node_pubsub_connection(self, node: ClusterNode) -> AbstractConnection:
        options: dict[str, Any] = {
            **node.connection_kwargs,
            # As RedisBus's subscriber: no socket timeout, own health checks, RESP2.
            "socket_timeout": None,
            "health_check_interval": 0,
            "protocol": 2,
            "retry": Retry(NoBackoff(), 0),
        }
        return Connection(**options)

    @property
    def subscription_count(self) -> int:
        return self._sharded.subscription_count

    @property
    def pubsub_connections(self) -> int:
        """At most one per master."""
        return self._sharded.connection_count

    # lifecycle -----------------------------------------------------------
    async def connect(self) -> None:
        """Read the slot map; :class:`BusMisconfigured` if the nodes named are not a
        cluster, :class:`BusUnavailable` if none answers."""
        try:
            await self._cluster.initialize()
        except RedisClusterException as error:
            if _NOT_A_CLUSTER in str(error):
                raise BusMisconfigured(
                    f"{CLUSTER_SCHEME}:// names a Redis that is not a cluster "
                    "(cluster mode is not enabled)"
                ) from None
            raise BusUnavailable(f"no node of the Redis Cluster answers: {error}") from None
        await self.ping()

    async def close(self) -> None:
        await self._sharded.close()
        await self._cluster.aclose()

    def add_connection_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        return self._sharded.add_listener(listener)

    # keys ---------------------------------------------------------------------
    async def get_many(self, *keys: str) -> list[bytes | None]:
        if not keys:
            return []
        with translated():
            return cast("list[bytes | None]", await self._cluster.mget_nonatomic(list(keys)))

    # per-user logs ------------------------------------------------------------------
    async def log_ids(self, log: str, count: int, *, first_into: str | None = None) -> list[str]:
        # The two keys' slots differ, so one script can't touch both: a second trip.
        ids = await super().log_ids(log, count)
        if first_into is not None and ids:
            await self.set(first_into, ids[0], only_if_missing=True)
        return ids

    # pub/sub ------------------------------------------------------------------
    async def publish(self, channel: str, data: Data) -> int:
        with translated():
            return int(await self._cluster.spublish(channel, to_bytes(data)))

    async def subscribe(self, *channels: str, buffer: int = 1000) -> Subscription:
        return await self._sharded.subscribe(channels, buffer)

    async def psubscribe(self, *patterns: str, buffer: int = 1000) -> Subscription:
        raise BusError("sharded pub/sub has no pattern subscriptions; subscribe to each channel")
