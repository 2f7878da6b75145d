"""Every error comes back as the contract's body with the right status, no traceback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import BaseModel, Field
from quart import Blueprint, Quart
from quart.testing import QuartClient, WebsocketResponseError
from quart_schema import validate_request

from config import Settings
from quart_app import create_app


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    times: int = Field(ge=1)


probe = Blueprint("probe", __name__)


@probe.post("/probe/json")
@validate_request(Greeting)
async def takes_json(data: Greeting) -> dict[str, Any]:
    return {"hello": data.name}


@probe.get("/probe/crash")
async def crashes() -> dict[str, Any]:
    raise RuntimeError("secret internals /etc/passwd")


@pytest.fixture
async def client(make_settings: Callable[..., Settings]) -> AsyncIterator[QuartClient]:
    app: Quart = create_app(make_settings(max_request_bytes=2048))
    app.register_blueprint(probe)
    async with app.test_app() as test_app:
        yield test_app.test_client()


async def error_of(response: Any) -> dict[str, Any]:
    body = await response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


async def test_valid_body_passes(client: QuartClient) -> None:
    response = await client.post("/probe/json", json={"name": "kim", "times": 2})
    assert response.status_code == 200
    assert await response.get_json() == {"hello": "kim"}


async def test_schema_violation_is_422_with_fields(client: QuartClient) -> None:
    response = await client.post("/probe/json", json={"name": "", "times": 0})
    assert response.status_code == 422
    error = await error_of(response)
    assert error["code"] == "validation_error"
    assert {item["field"] for item in error["details"]} == {"name", "times"}


async def test_body_that_is_not_an_object_is_400(client: QuartClient) -> None:
    response = await client.post("/probe/json", json=[1, 2])
    assert response.status_code in (400, 422)
    assert (await error_of(response))["code"] in ("invalid_body", "validation_error")


async def test_malformed_json_is_400(client: QuartClient) -> None:
    response = await client.post(
        "/probe/json", data=b'{"name": "kim",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = await error_of(response)
    assert error["code"] == "invalid_json"
    # Where it broke, in the service's words: the parser's text stays in the log.
    assert error["details"] == {"line": 1, "column": 16}
    assert "Expecting" not in str(error)


async def test_body_that_is_not_utf8_is_400_not_500(client: QuartClient) -> None:
    response = await client.post(
        "/probe/json", data=b'{"name": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = await error_of(response)
    assert (error["code"], error["details"]) == ("invalid_encoding", {"position": 10})
    assert "codec" not in str(error)


async def test_json_nested_too_deeply_is_400_not_500(client: QuartClient) -> None:
    response = await client.post(
        "/probe/json", data=b"[" * 1900, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await error_of(response))["code"] == "invalid_json"


async def test_wrong_content_type_is_415(client: QuartClient) -> None:
    response = await client.post(
        "/probe/json", data=b"name=kim", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert (await error_of(response))["code"] == "unsupported_media_type"


async def test_too_large_is_413(client: QuartClient) -> None:
    response = await client.post("/probe/json", json={"name": "k" * 5000, "times": 1})
    assert response.status_code == 413
    assert (await error_of(response))["code"] == "request_entity_too_large"


async def test_unknown_path_is_404(client: QuartClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert (await error_of(response))["code"] == "not_found"


async def test_wrong_method_is_405_with_allow(client: QuartClient) -> None:
    response = await client.delete("/probe/json")
    assert response.status_code == 405
    assert (await error_of(response))["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


async def test_unexpected_exception_is_500_without_internals(
    client: QuartClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.get("/probe/crash")
    assert response.status_code == 500
    error = await error_of(response)
    assert error["code"] == "internal_error"
    text = (await response.get_data(as_text=True)).lower()
    assert "traceback" not in text and "passwd" not in text and "runtimeerror" not in text
    assert "secret internals" in caplog.text  # logged for the operator, not shown to the client


async def test_openapi_marks_validated_bodies_required(client: QuartClient) -> None:
    spec = await (await client.get("/openapi.json")).get_json()
    body = spec["paths"]["/probe/json"]["post"]["requestBody"]
    assert body["required"] is True
    assert "application/json" in body["content"]


async def test_openapi_documents_the_error_body_on_every_operation(client: QuartClient) -> None:
    spec = await (await client.get("/openapi.json")).get_json()
    assert set(spec["components"]["schemas"]["ErrorDetail"]["required"]) == {
        "code",
        "message",
        "details",
    }
    for operations in spec["paths"].values():
        for operation in operations.values():
            for status in ("4XX", "5XX"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}


async def test_openapi_documents_media_as_images(client: QuartClient) -> None:
    spec = await (await client.get("/openapi.json")).get_json()
    answer = spec["paths"]["/media/{name}"]["get"]["responses"]["200"]
    assert set(answer["content"]) == {"image/png", "image/jpeg", "image/webp"}


@probe.websocket("/probe/ws-crash")
async def websocket_crashes() -> None:
    raise RuntimeError("websocket internals")


async def test_an_unexpected_websocket_error_is_logged_not_raised_again(
    client: QuartClient, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/probe/ws-crash") as socket:
            await asyncio.wait_for(socket.receive(), 5)
    assert refused.value.response.status_code == 500
    assert "unhandled error on websocket /probe/ws-crash" in caplog.text
