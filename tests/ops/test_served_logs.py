"""Logs of the real server (hypercorn): every line JSON with LOG_FORMAT=json, the access
line naming the request id."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.served import local_env, serving


@pytest.mark.slow
def test_json_logs_carry_the_request_id_in_every_line(tmp_path: Path) -> None:
    env = local_env(tmp_path, LOG_FORMAT="json", AI_WORKER="external")
    with serving(env) as served:
        response = httpx.get(f"{served.base_url}/no/such/page", headers={"X-Request-ID": "r-42"})
        assert response.headers["X-Request-ID"] == "r-42"
    lines = [line for line in served.output.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"ts", "level", "logger", "message", "request_id"} <= set(entries[0])
    [access] = [e for e in entries if e["logger"] == "hypercorn.access" and "r-42" in e["message"]]
    assert '"GET /no/such/page' in access["message"]
    assert " 404 " in access["message"]
