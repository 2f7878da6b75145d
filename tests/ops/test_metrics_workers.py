"""/metrics under `voice-realtime serve --workers 2`: every worker's counts, from any worker."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.served import serving
from tests.support.tokens import SECRET

REQUESTS = 40


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
    with serving(env, "--workers", "2") as served:
        base = served.base_url
        started = _healthz_count(base)
        for _ in range(REQUESTS):
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        counts = {_healthz_count(base) for _ in range(10)}
        writers = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}
    assert counts == {started + REQUESTS}
    assert "1" not in writers
    assert len(writers) == 2, writers  # both workers wrote, and every scrape summed them
