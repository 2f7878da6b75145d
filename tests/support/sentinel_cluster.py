"""A Redis master, its replica and three sentinels, each a real ``redis-server`` on a free port.

Tests and ``bench/failover.py`` start one, kill its master, and watch the
sentinels promote the replica. Every process is started here and stopped by
its own handle, never by name.
"""

from __future__ import annotations

import time
from pathlib import Path

from redis.asyncio import Redis

from bus.urls import SENTINEL_SCHEME
from tests.support.redis_server import RedisServer
from tests.support.waiting import eventually

SERVICE = "ha"
QUORUM = 2


class SentinelCluster:
    """``master``, ``replica`` and ``sentinels``, watching ``SERVICE`` with a quorum of 2.

    ``failover_timeout_ms`` is short because a sentinel that finds its INFO of the
    replica stale when it picks one (``-failover-abort-no-good-slave``, seen in
    about one failover in seven here) tries again only after twice that time.
    """

    def __init__(
        self, directory: Path, *, down_after_ms: int = 1000, failover_timeout_ms: int = 3000
    ) -> None:
        self._directory = directory
        self._down_after_ms = down_after_ms
        self._failover_timeout_ms = failover_timeout_ms
        self.master = RedisServer(directory / "node-a")
        self.replica = RedisServer(directory / "node-b")
        # A sentinel rewrites its config file: each gets a writable one of its own.
        self._configs = [directory / f"sentinel-{n}.conf" for n in range(3)]
        self.sentinels = [
            RedisServer(directory / f"sentinel-{n}", "--sentinel", config=config)
            for n, config in enumerate(self._configs)
        ]

    @property
    def url(self) -> str:
        """The ``BUS_URL`` of this cluster (db 0)."""
        hosts = ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in self.sentinels)
        return f"{SENTINEL_SCHEME}://{hosts}/{SERVICE}/0"

    @property
    def nodes(self) -> list[RedisServer]:
        return [self.master, self.replica]

    async def start(self) -> None:
        """Start every process; returns once the replica is in sync and every sentinel
        sees the master, the replica and both other sentinels."""
        await self.master.start("--repl-diskless-sync-delay", "0")
        await self.replica.start(*self.replica_of(self.master))
        await self.wait_in_sync(self.replica)
        for config, sentinel in zip(self._configs, self.sentinels, strict=True):
            config.write_text(
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.master.port} {QUORUM}\n"
                f"sentinel down-after-milliseconds {SERVICE} {self._down_after_ms}\n"
                f"sentinel failover-timeout {SERVICE} {self._failover_timeout_ms}\n"
            )
            await sentinel.start()
        await self.wait_for_sentinels(self.master.port, replicas=1)

    @staticmethod
    def replica_of(master: RedisServer) -> tuple[str, ...]:
        return ("--replicaof", "127.0.0.1", str(master.port), "--repl-diskless-sync-delay", "0")

    async def stop(self) -> None:
        for server in [*self.sentinels, *self.nodes]:
            await server.stop()

    async def kill_master(self) -> RedisServer:
        """SIGKILL the current master; returns it (dead)."""
        port = await self.master_port()
        dead = next(node for node in self.nodes if node.port == port)
        await dead.kill()
        return dead

    async def master_port(self) -> int:
        """The master's port as the first sentinel that answers names it."""
        for sentinel in self.sentinels:
            if not sentinel.running:
                continue
            async with Redis(port=sentinel.port, socket_timeout=1) as client:
                address = await client.sentinel_get_master_addr_by_name(SERVICE)
            if address:
                return int(address[1])
        raise RuntimeError("no sentinel names a master")

    async def wait_for_new_master(self, old_port: int, within: float = 30.0) -> float:
        """Seconds until every sentinel names a master other than ``old_port``."""
        started = time.monotonic()

        async def moved() -> bool:
            ports = [await self._named_by(sentinel) for sentinel in self.sentinels]
            return all(port not in (None, old_port) for port in ports)

        await eventually(moved, within)
        return time.monotonic() - started

    async def wait_for_sentinels(self, master_port: int, *, replicas: int) -> None:
        """Until each sentinel has the master at ``master_port`` up, ``replicas`` healthy
        replicas and both other sentinels."""

        async def ready() -> bool:
            for sentinel in self.sentinels:
                async with Redis(port=sentinel.port, socket_timeout=1) as client:
                    state = (await client.sentinel_masters()).get(SERVICE)
                if not state or state["port"] != master_port or state["is_sdown"]:
                    return False
                async with Redis(port=sentinel.port, socket_timeout=1) as client:
                    healthy = [
                        replica
                        for replica in await client.sentinel_slaves(SERVICE)
                        if not replica["is_sdown"] and replica["master-link-status"] == "ok"
                    ]
                if len(healthy) < replicas or state["num-other-sentinels"] < 2:
                    return False
            return True

        await eventually(ready, 60.0)

    async def wait_in_sync(self, replica: RedisServer) -> None:
        async def synced() -> bool:
            async with Redis(port=replica.port, socket_timeout=1) as client:
                info = await client.info("replication")
            return info.get("master_link_status") == "up"

        await eventually(synced, 30.0)

    async def wait_replicated(self) -> None:
        """Until every write so far reached the replica (``WAIT``): a failover keeps it."""
        async with Redis(port=await self.master_port(), socket_timeout=5) as client:
            if await client.wait(1, 5000) < 1:
                raise RuntimeError("the replica did not acknowledge the writes")

    async def _named_by(self, sentinel: RedisServer) -> int | None:
        async with Redis(port=sentinel.port, socket_timeout=1) as client:
            address = await client.sentinel_get_master_addr_by_name(SERVICE)
        return int(address[1]) if address else None

    async def revive(self, dead: RedisServer) -> None:
        """Start ``dead`` again as a replica of the current master; returns once the
        sentinels count it as a healthy replica again."""
        master_port = await self.master_port()
        master = next(node for node in self.nodes if node.port == master_port)
        await dead.start(*self.replica_of(master))
        await self.wait_in_sync(dead)
        await self.wait_for_sentinels(master_port, replicas=1)
