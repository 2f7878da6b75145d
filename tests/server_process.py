"""A real ``voice-realtime serve`` (hypercorn) process for tests that need real sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import SECRET

START_WITHIN = 60.0
STOP_WITHIN = 30.0


def hypercorn_worker(pid: int) -> int:
    """The worker that hypercorn process ``pid`` spawned (not its resource tracker)."""
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    raise AssertionError(f"hypercorn {pid} has no worker process")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A running server: where it listens and the hypercorn worker serving it."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def worker_pid(self) -> int:
        """The hypercorn worker process (``serve`` spawns one per ``--workers``)."""
        return hypercorn_worker(self.process.pid)

    def rss_bytes(self) -> int:
        """The worker's resident memory now."""
        for line in Path(f"/proc/{self.worker_pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve_app(tmp_path: Path, env: Mapping[str, str] | None = None) -> Iterator[ServerProcess]:
    """``python -m quart_app`` on a free port (memory bus and SQLite unless ``env`` says
    otherwise), up and answering ``/healthz``; stopped with SIGTERM on exit."""
    port = free_port()
    values = {k: v for k, v in os.environ.items() if k not in ("BUS_URL", "DATABASE_URL")}
    values.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/service.db",
        MEDIA_DIR=str(tmp_path / "media"),
        SECRET_KEY=SECRET,
        AI_WORKER="external",
    )
    values.update(env or {})
    log_path = tmp_path / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "quart_app", "--port", str(port)],
            env=values,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(process, port, log_path)
    try:
        _wait_until_up(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_WITHIN)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_WITHIN)


def _wait_until_up(server: ServerProcess) -> None:
    deadline = time.monotonic() + START_WITHIN
    while True:
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.process.poll() is None, server.output()
        assert time.monotonic() < deadline, "the server did not come up: " + server.output()
        time.sleep(0.1)
