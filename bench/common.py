"""What the benchmark scripts share: the service's bench settings, ports, server start-up."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from typing import Any

from config import Settings, load_settings

SECRET = "bench-secret-key-that-is-long-enough-for-hs256"


def bench_settings(prefix: str, **overrides: Any) -> Settings:
    """The service as on one node: memory bus (or ``$BENCH_BUS_URL``), SQLite in ``$BENCH_DIR``."""
    folder = os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix=prefix)
    values: dict[str, Any] = {
        "bus_url": os.environ.get("BENCH_BUS_URL", "memory://"),
        "ai_worker": "external",
        "database_url": f"sqlite+aiosqlite:///{folder}/bench.db",
        "media_dir": f"{folder}/media",
        "secret_key": SECRET,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return load_settings(**values)


def wait_until_listening(port: int, server: subprocess.Popen[Any], within: float = 30) -> None:
    """Return once ``server`` accepts connections on ``port``; raise if it dies or never does."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start listening")
