"""The service as a real process (``python -m quart_app``), for tests of what hypercorn does."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
