"""Fuzz every operation of the app's own OpenAPI schema with schemathesis.

The app serves on hypercorn in a thread (so ``before_serving`` runs as in
production), on SQLite and the memory bus, with the embedded reference AI
worker answering the voice and image routes (rules LLM, sketch images; no
fuzzed upload is audio it can decode, so Whisper never loads). Each operation
runs a bounded, derandomized number of examples, schema-valid and not, each
sent as a guest, a customer and a manager. The WebSocket route is not in the
schema.

Driven with schemathesis' Python API (``APIOperation.as_strategy``) and plain
hypothesis rather than its pytest plugin, which fails under pytest 9.2.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    CheckContext,
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation, BaseSchema

from config import Settings
from quart_app import create_app
from tests.support.tokens import bearer

pytestmark = pytest.mark.slow

CALLERS: dict[str, dict[str, str]] = {
    "guest": {},
    "customer": bearer("customer-1", "customer"),
    "manager": bearer("manager-1", "manager"),
}

# Where a schema-valid body may still be bad input the schema cannot describe,
# a 422 naming the field is right: menu, style and ingredient codes are catalog
# data, and bytes of an audio type need not decode as audio.
CONTENT_CHECKED = {"POST /api/orders", "POST /api/voice/stt"}


@pytest.fixture
def base_url(make_settings: Callable[..., Settings]) -> Iterator[str]:
    """The app on hypercorn at 127.0.0.1 on a free port, serving until the test ends."""
    app = create_app(make_settings(ai_worker="embedded", ai_timeout=5.0))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]  # hypercorn owns and closes it
    config.accesslog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    server = threading.Thread(
        target=loop.run_until_complete,
        args=(serve(app, config, shutdown_trigger=stop.wait),),  # type: ignore[arg-type]
    )
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        server.join()
        loop.close()


@pytest.fixture
def api_schema(base_url: str) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json", wait_for_schema=10)


def contract_error_shape(ctx: CheckContext, response: Response, case: Case) -> None:
    """Every 4xx/5xx body is ``{"error": {"code", "message", "details"}}`` (docs/contract.md §3)."""
    if response.status_code < 400:
        return
    body: Any = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body


def test_api(api_schema: BaseSchema, subtests: pytest.Subtests) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert operations
    for operation in operations:
        with subtests.test(operation=operation.label):
            fuzz(operation)


def fuzz(operation: APIOperation) -> None:
    checks = [
        not_a_server_error,
        contract_error_shape,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        negative_data_rejection,
    ]
    if operation.label not in CONTENT_CHECKED:
        checks.append(positive_data_acceptance)
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode))

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def send(case: Case) -> None:
        for caller, headers in CALLERS.items():
            note(f"as {caller}")
            case.call_and_validate(headers=headers, checks=checks, timeout=10)

    send()
