"""Logs of the real server (hypercorn): every line JSON with LOG_FORMAT=json, the access
line naming the request id."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import httpx
import pytest

from config.logs import TextFormatter
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


@pytest.mark.slow
def test_a_line_break_in_a_path_does_not_forge_a_log_line(tmp_path: Path) -> None:
    forged = "2026-12-07 12:00:00,000 ERROR quart_app.orders [-]: refund sent"
    env = local_env(tmp_path, LOG_FORMAT="text", AI_WORKER="external")
    with serving(env) as served:
        path = "/no/such%0D%0A" + forged.replace(" ", "%20")
        assert httpx.get(f"{served.base_url}{path}").status_code == 404
    lines = served.output.splitlines()
    assert not [line for line in lines if line.startswith(forged[:23])]
    [access] = [line for line in lines if "hypercorn.access" in line and "refund" in line]
    assert "/no/such\\r\\n2026-12-07" in access


def test_text_logs_escape_control_characters_but_keep_tracebacks() -> None:
    formatter = TextFormatter()
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a\nb\x1bc\u2028d", None, None)
    record.request_id = "-"
    assert formatter.format(record).endswith("a\\nb\\x1bc\\u2028d")
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert "Traceback (most recent call last):\n" in formatter.format(record)
