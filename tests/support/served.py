"""The service as a real process (``python -m quart_app``), for tests of what hypercorn does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.ports import free_port
from tests.support.tokens import SECRET

STOP_WITHIN = 30.0


def hypercorn_worker(pid: int) -> int:
    """The process serving for server ``pid``: a worker it spawned (not its resource
    tracker), or ``pid`` itself when it serves in-process."""
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    return pid


@dataclass
class Served:
    """A running service: where it listens, its worker, and what it printed so far."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_bytes(self) -> int:
        """The resident memory of the (first) hypercorn worker now."""
        status = Path(f"/proc/{hypercorn_worker(self.process.pid)}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")


def local_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """This environment for a development instance whose files (SQLite database, media,
    development key) live under ``tmp_path``, the memory bus, and ``variables``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("APP_ENV", "BUS_URL", "DATABASE_URL", "SECRET_KEY")
    }
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/service.db",
        MEDIA_DIR=str(tmp_path / "media"),
        SECRET_KEY_FILE=str(tmp_path / "secret-key"),
    )
    env.update(variables)
    return env


def app_env(
    tmp_path: Path, overrides: Mapping[str, str] | None = None, *, unset: Iterable[str] = ()
) -> dict[str, str]:
    """This process's environment for a test server: memory bus, SQLite and media in
    ``tmp_path``, the tests' secret, an external AI Server; then ``overrides``, less ``unset``."""
    env = {k: v for k, v in os.environ.items() if k not in ("BUS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/service.db",
        MEDIA_DIR=str(tmp_path / "media"),
        SECRET_KEY=SECRET,
        AI_WORKER="external",
    )
    env.update(overrides or {})
    for name in unset:
        env.pop(name, None)
    return env


@contextmanager
def serving(env: Mapping[str, str], *arguments: str, within: float = 90) -> Iterator[Served]:
    """``python -m quart_app --port <free> *arguments``, once ``/healthz`` answers.

    Its output goes to a file (a pipe nobody reads would block a talkative
    server). Stopped with SIGTERM (by its process id) when the block ends.
    """
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="served-")) / "output.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "quart_app", "--port", str(port), *arguments],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, port, log_path)
    try:
        deadline = time.monotonic() + within
        while True:
            try:
                if httpx.get(f"{served.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, served.output
            assert time.monotonic() < deadline, "the server did not come up: " + served.output
            time.sleep(0.2)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_WITHIN)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_WITHIN)
