"""Logs of the real server (hypercorn): every line JSON with LOG_FORMAT=json, the access
line naming the request id."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypercorn.config import Config

from config.logs import TextFormatter
from quart_app import cli
from quart_app import serving as served_module
from quart_app.access_log import ACCESS_LOG_FORMAT, AccessLogger
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


SCOPE: dict[str, Any] = {
    "type": "http",
    "method": "GET",
    "path": "/",
    "query_string": b"",
    "headers": [],
    "client": ("127.0.0.1", 5),
    "http_version": "1.1",
    "scheme": "http",
}


async def test_an_access_line_is_built_only_when_its_level_writes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = Config()
    config.accesslog = logging.getLogger("tests.access")
    config.access_log_format = ACCESS_LOG_FORMAT
    access = AccessLogger(config)
    built: list[object] = []
    atoms = access.atoms
    monkeypatch.setattr(access, "atoms", lambda *line: built.append(line) or atoms(*line))
    config.accesslog.setLevel(logging.WARNING)
    await access.access(SCOPE, {"status": 200, "headers": []}, 0.01)  # type: ignore[arg-type]
    assert built == []
    config.accesslog.setLevel(logging.INFO)
    await access.access(SCOPE, {"status": 200, "headers": []}, 0.01)  # type: ignore[arg-type]
    assert len(built) == 1


def test_the_served_app_logs_access_through_that_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Config] = []
    monkeypatch.setattr(served_module, "serve", lambda config, *_: served.append(config) or 0)
    monkeypatch.setenv("AI_WORKER", "external")
    assert cli.main(["serve"]) == 0
    assert served[0].logger_class is AccessLogger
