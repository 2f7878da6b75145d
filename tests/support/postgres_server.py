"""A private PostgreSQL cluster that outage tests stop and start, never the machine's shared one.

PostgreSQL refuses to run as root: ``initdb`` and ``pg_ctl`` run as the ``postgres``
user, in a directory that user owns.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.ports import free_port

BIN = Path("/usr/lib/postgresql/15/bin")
OWNER = "postgres"


class PostgresServer:
    """A cluster made with ``initdb`` in a fresh directory, on a port of its own."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self._directory = Path(tempfile.mkdtemp(prefix="voice-realtime-pg-"))
        shutil.chown(self._directory, OWNER, OWNER)
        self._data = self._directory / "data"

    async def create(self) -> None:
        """``initdb`` (trust authentication, no fsync: a test's data need not survive)."""
        await _as_owner(
            BIN / "initdb", "-D", str(self._data), "-A", "trust", "-U", "postgres", "--no-sync"
        )

    async def start(self) -> None:
        """Start it; returns once it accepts connections."""
        options = f"-p {self.port} -k {self._directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self._directory / "server.log"
        await _as_owner(
            BIN / "pg_ctl", "-D", str(self._data), "-o", options, "-l", str(log), "-w", "start"
        )

    async def stop(self) -> None:
        """Stop it at once (``-m fast``: open connections are ended)."""
        await _as_owner(BIN / "pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")

    async def remove(self) -> None:
        """Stop it if it runs, and delete its directory."""
        status = await asyncio.create_subprocess_exec(
            "runuser", "-u", OWNER, "--", str(BIN / "pg_ctl"), "-D", str(self._data), "status",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if await status.wait() == 0:
            await self.stop()
        shutil.rmtree(self._directory, ignore_errors=True)


async def _as_owner(*command: str | Path) -> None:
    process = await asyncio.create_subprocess_exec(
        "runuser", "-u", OWNER, "--", *map(str, command),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed: {output.decode(errors='replace')}")
