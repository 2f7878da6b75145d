"""X-Request-ID on every response and in every log line of the request; JSON logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from quart import Quart
from quart.testing import QuartClient

from config import Settings
from config.logs import JsonFormatter, configure_logging
from quart_app import create_app


async def test_a_valid_request_id_is_kept(client: QuartClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc_DEF:9"})
    assert response.headers["X-Request-ID"] == "lb-1234.abc_DEF:9"


@pytest.mark.parametrize(
    "sent", [None, "", "has space", "x" * 129, "<script>", "-leading-dash", "ünïcode"]
)
async def test_a_missing_or_invalid_request_id_is_replaced(
    client: QuartClient, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    first = await client.get("/healthz", headers=headers)
    second = await client.get("/healthz", headers=headers)
    generated = first.headers["X-Request-ID"]
    assert generated != sent
    assert len(generated) == 32 and int(generated, 16) >= 0
    assert second.headers["X-Request-ID"] != generated


async def test_error_responses_carry_it_too(client: QuartClient) -> None:
    response = await client.get("/api/orders/" + "0" * 32, headers={"X-Request-ID": "err-1"})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "err-1"
    missing = await client.get("/no/such/route", headers={"X-Request-ID": "err-2"})
    assert missing.status_code == 404
    assert missing.headers["X-Request-ID"] == "err-2"


async def test_every_log_line_of_a_request_carries_its_id(
    app: Quart, client: QuartClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/test/log")
    async def _log() -> str:
        logging.getLogger("quart_app.test").warning("inside")
        raise RuntimeError("boom")  # the error handler logs it too

    response = await client.get("/test/log", headers={"X-Request-ID": "inside-1"})
    assert response.status_code == 500
    await client.get("/healthz", headers={"X-Request-ID": "other"})
    ours = [r for r in caplog.records if r.name.startswith("quart_app")]
    assert [r.getMessage() for r in ours][:1] == ["inside"]
    assert len(ours) >= 2  # the warning and the logged 500
    assert {r.request_id for r in ours} == {"inside-1"}  # type: ignore[attr-defined]


def test_a_line_outside_any_request_has_a_dash() -> None:
    configure_logging("INFO")
    record = logging.getLogRecordFactory()(
        "quart_app.x", logging.INFO, __file__, 1, "outside", None, None
    )
    assert record.request_id == "-"  # type: ignore[attr-defined]


def test_json_format_gives_one_object_per_line() -> None:
    record = logging.getLogRecordFactory()(
        "quart_app.x", logging.ERROR, __file__, 1, "failed %s", ("here",), None
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "quart_app.x"
    assert entry["message"] == "failed here"
    assert entry["request_id"] == "-"
    assert "ts" in entry


def test_log_format_json_installs_the_json_formatter(
    make_settings: Callable[..., Settings],
) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler()
    saved = root.handlers[:]
    root.handlers = [handler]
    try:
        create_app(make_settings(log_format="json"))
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        root.handlers = saved
        configure_logging("INFO")
