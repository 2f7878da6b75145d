"""A Redis Cluster of real ``redis-server`` processes: 3 masters, each with a replica.

Tests and ``bench/cluster.py`` start one, kill a master, and watch its replica
take over. Every process is started here and stopped by its own handle, never
by name.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from bus.urls import CLUSTER_SCHEME
from tests.support.ports import free_cluster_port
from tests.support.redis_server import RedisServer
from tests.support.waiting import eventually

MASTERS = 3


class RedisClusterProcesses:
    """``nodes``: ``MASTERS`` masters then one replica each, once :meth:`start` returns.

    ``node_timeout_ms`` is short so that a killed master's replica is promoted
    within a few seconds.
    """

    def __init__(self, directory: Path, *, replicas: int = 1, node_timeout_ms: int = 1000) -> None:
        options = (
            "--cluster-enabled", "yes",
            "--cluster-node-timeout", str(node_timeout_ms),
            "--repl-diskless-sync-delay", "0",
        )  # fmt: skip
        self._replicas = replicas
        self.nodes = [
            RedisServer(
                directory / f"node-{n}",
                *options,
                "--cluster-config-file",
                str(directory / f"node-{n}" / "nodes.conf"),
                port=free_cluster_port(),
            )
            for n in range(MASTERS * (1 + replicas))
        ]

    @property
    def url(self) -> str:
        """The ``BUS_URL`` of this cluster: its first two nodes (the rest are discovered)."""
        hosts = ",".join(f"127.0.0.1:{node.port}" for node in self.nodes[:2])
        return f"{CLUSTER_SCHEME}://{hosts}"

    async def start(self) -> None:
        """Start every node and join them; returns once every node sees the cluster ok."""
        for node in self.nodes:
            await node.start()
        await _redis_cli(
            "--cluster", "create", *(f"127.0.0.1:{node.port}" for node in self.nodes),
            "--cluster-replicas", str(self._replicas), "--cluster-yes",
        )  # fmt: skip
        await self.wait_healthy()

    async def stop(self) -> None:
        for node in self.nodes:
            await node.stop()

    async def __aenter__(self) -> RedisClusterProcesses:
        """Started (:meth:`start`); stopped at the end of the block, or if it fails to start."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def wait_healthy(self, within: float = 60.0) -> None:
        """Until every running node reports ``cluster_state:ok`` and ``MASTERS`` masters,
        each with a replica whose link is up."""

        async def healthy() -> bool:
            for node in self.running:
                async with Redis(port=node.port, socket_timeout=1) as client:
                    info = await client.execute_command("CLUSTER", "INFO")
                    if b"cluster_state:ok" not in info:
                        return False
            masters = await self.masters()
            if len(masters) != MASTERS:
                return False
            if self._replicas:
                for master in masters:
                    async with Redis(port=master.port, socket_timeout=1) as client:
                        replication = await client.info("replication")
                    if replication.get("connected_slaves", 0) < 1:
                        return False
            return True

        await eventually(healthy, within)

    @property
    def running(self) -> list[RedisServer]:
        return [node for node in self.nodes if node.running]

    async def masters(self) -> list[RedisServer]:
        """The running nodes that are masters owning slots now."""
        found = []
        for node in self.running:
            async with Redis(port=node.port, socket_timeout=1) as client:
                replication = await client.info("replication")
            if replication.get("role") == "master" and await self._owns_slots(node):
                found.append(node)
        return found

    async def _owns_slots(self, node: RedisServer) -> bool:
        async with Redis(port=node.port, socket_timeout=1) as client:
            myself = await client.execute_command("CLUSTER", "MYID")
            shards = await client.execute_command("CLUSTER", "SLOTS")
        return any(entry[2][2] == myself for entry in shards)

    async def master_of(self, key: str) -> RedisServer:
        """The running master that owns ``key``'s slot."""
        node = self.running[0]
        async with Redis(port=node.port, socket_timeout=1) as client:
            slot = await client.execute_command("CLUSTER", "KEYSLOT", key)
            shards = await client.execute_command("CLUSTER", "SLOTS")
        for start, end, master, *_ in shards:
            if start <= slot <= end:
                return next(n for n in self.nodes if n.port == int(master[1]))
        raise RuntimeError(f"no master owns the slot of {key!r}")

    async def wait_replaced(self, key: str, dead: RedisServer, within: float) -> None:
        """Until the node asked (:meth:`master_of`) names another master than ``dead`` for
        ``key``'s slot: it may learn of a promotion after the clients have."""

        async def replaced() -> bool:
            return (await self.master_of(key)).port != dead.port

        await eventually(replaced, within)

    async def wait_replicated(self) -> None:
        """Until every write so far reached each master's replica (``WAIT``)."""
        for master in await self.masters():
            async with Redis(port=master.port, socket_timeout=5) as client:
                if await client.wait(1, 5000) < 1:
                    raise RuntimeError(f"the replica of {master.port} did not acknowledge")

    async def reshard(self, key: str, target: RedisServer) -> int:
        """Move ``key``'s slot, with its keys, to master ``target`` while it serves, with
        ``redis-cli --cluster reshard``; return how many slots moved.

        The tool takes a source's lowest slots first, so it is asked for every slot
        of the source up to ``key``'s: those move too, with whatever keys they hold.
        """
        source = await self.master_of(key)
        async with Redis(port=source.port, socket_timeout=5) as client:
            slot = await client.execute_command("CLUSTER", "KEYSLOT", key)
            shards = await client.execute_command("CLUSTER", "SLOTS")
            source_id = (await client.execute_command("CLUSTER", "MYID")).decode()
        async with Redis(port=target.port, socket_timeout=5) as client:
            target_id = (await client.execute_command("CLUSTER", "MYID")).decode()
        count = sum(
            min(end, slot) - start + 1
            for start, end, master, *_ in shards
            if int(master[1]) == source.port and start <= slot
        )
        # The tool refuses to start until every node agrees on the slot map.
        await eventually(self._checked, 30)
        await _redis_cli(
            "--cluster", "reshard", f"127.0.0.1:{source.port}",
            "--cluster-from", source_id, "--cluster-to", target_id,
            "--cluster-slots", str(count), "--cluster-yes",
        )  # fmt: skip
        return count

    async def _checked(self) -> bool:
        """Whether ``redis-cli --cluster check`` finds every node agreeing, no slot open."""
        try:
            await _redis_cli("--cluster", "check", f"127.0.0.1:{self.running[0].port}")
        except RuntimeError:
            return False
        return True

    async def flush(self) -> None:
        """Empty every master (a cluster has one database)."""
        for master in await self.masters():
            async with Redis(port=master.port, socket_timeout=5) as client:
                await client.flushall()


async def _redis_cli(*arguments: str) -> str:
    """Run ``redis-cli`` to its end; its output, or :class:`RuntimeError` if it failed."""
    process = await asyncio.create_subprocess_exec(
        "redis-cli", *arguments, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"redis-cli {' '.join(arguments[:2])} failed: {output.decode()[-500:]}")
    return output.decode()
