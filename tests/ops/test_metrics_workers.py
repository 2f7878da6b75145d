"""/metrics under `voice-realtime serve --workers 2`: every worker's counts, from any worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SECRET

REQUESTS = 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz_count(base: str) -> float:
    # A new connection each time: any worker may answer.
    text = httpx.get(f"{base}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels["route"] == "/healthz":
                return sample.value
    return 0.0


@pytest.mark.slow
@pytest.mark.redis
def test_every_worker_reports_the_sum_of_all_workers(tmp_path: Path, redis_url: str) -> None:
    port, base = _free_port(), ""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's: must go
    env = {
        **os.environ,
        "BUS_URL": redis_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/service.db",
        "SECRET_KEY": SECRET,
        "AI_WORKER": "external",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "quart_app", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        started = _healthz_count(base)
        for _ in range(REQUESTS):
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        counts = {_healthz_count(base) for _ in range(10)}
        writers = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert counts == {started + REQUESTS}
    assert "1" not in writers
    assert len(writers) == 2, writers  # both workers wrote, and every scrape summed them
