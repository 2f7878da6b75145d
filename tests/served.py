"""The service as a real process (``python -m quart_app``), for tests of what hypercorn does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@dataclass
class Served:
    """A running service: where it listens; once stopped, what it printed."""

    base_url: str
    output: str = ""


@contextmanager
def serving(env: Mapping[str, str], *arguments: str, within: float = 90) -> Iterator[Served]:
    """``python -m quart_app --port <free> *arguments``, once ``/healthz`` answers.

    Stopped with SIGTERM (by its process id) when the block ends.
    """
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "quart_app", "--port", str(port), *arguments],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    served = Served(f"http://127.0.0.1:{port}")
    base = served.base_url
    try:
        deadline = time.monotonic() + within
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        yield served
    finally:
        server.terminate()
        served.output = server.communicate(timeout=30)[0].decode()
