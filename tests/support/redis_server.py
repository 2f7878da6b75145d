"""A private ``redis-server`` that fault tests stop, kill and start under the bus's feet."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.support.ports import free_port

# A server that persists nothing, unless a test asks otherwise.
NO_PERSISTENCE = ("--save", "", "--appendonly", "no")


class RedisServer:
    """``redis-server`` on a port of its own, in ``directory``, with ``options`` on its
    command line after those of ``config`` (a file, e.g. a sentinel's)."""

    def __init__(
        self, directory: Path, *options: str, config: Path | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._directory = directory
        self._options = (*(() if config else NO_PERSISTENCE), *options)
        self._config = config
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, *options: str) -> None:
        """Start it, with ``options`` added to its own; returns once it answers PING."""
        self._directory.mkdir(parents=True, exist_ok=True)
        config = [] if self._config is None else [str(self._config)]
        self._process = await asyncio.create_subprocess_exec(
            "redis-server", *config,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self._directory),
            *self._options, *options,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(500):
            if await self._answers():
                return
            if self._process.returncode is not None:
                break
            await asyncio.sleep(0.02)
        raise RuntimeError(f"redis-server on port {self.port} did not answer")

    @property
    def pid(self) -> int:
        """The running server's process id."""
        if self._process is None:
            raise RuntimeError("redis-server is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def _answers(self) -> bool:
        # A server still starting may take the connection and then reset it: that is
        # "not yet", as a refused connection is.
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                writer.write(b"PING\r\n")
                answer = await asyncio.wait_for(reader.readline(), 5)
            finally:
                writer.close()
                with suppress(OSError):
                    await writer.wait_closed()
        except (OSError, TimeoutError):
            return False
        return answer == b"+PONG\r\n"

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """SIGSTOP for the block, SIGCONT after: the server keeps its sockets open and
        answers nothing, as a hung host or a partition that sends no reset."""
        os.kill(self.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.pid, signal.SIGCONT)

    async def kill(self) -> None:
        """SIGKILL: the server dies at once, as in a crash, writing nothing."""
        await self._end(signal.SIGKILL)

    async def stop(self) -> None:
        await self._end(signal.SIGTERM)

    async def _end(self, signum: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signum)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
