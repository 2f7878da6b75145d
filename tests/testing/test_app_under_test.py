"""The app under test of quart_app.testing: demo data, the scripted AI Server on its real path,
tokens for any user and role, sockets, a team's blueprints and settings."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from quart import Blueprint
from quart.datastructures import FileStorage
from werkzeug.datastructures import Headers

from quart_app.extensions import SETTINGS, get_order_service
from quart_app.seed import MENUS
from quart_app.testing import AppUnderTest, serve_for_tests

ORDER = {"items": [{"menu_code": "french", "style_code": "grand", "quantity": 1}]}

team = Blueprint("team", __name__, url_prefix="/api/team")


@team.get("/orders")
async def count_orders() -> dict[str, int]:
    """A team's view calling one of the service's services."""
    return {"orders": len(await get_order_service().list_orders(limit=100))}


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[AppUnderTest]:
    async with serve_for_tests(tmp_path, blueprints=[team]) as serving:
        yield serving


async def test_the_app_serves_the_demo_catalog_from_a_sqlite_file_in_the_directory(
    service: AppUnderTest, tmp_path: Path
) -> None:
    response = await service.client().get("/api/menus")

    assert response.status_code == 200
    codes = [menu["code"] for menu in (await response.get_json())["menus"]]
    assert codes == [code for code, *_ in MENUS]
    settings = service.app.extensions[SETTINGS]
    assert settings.bus_url == "memory://"
    assert (tmp_path / "service.db").is_file()


async def test_a_conversation_turn_asks_the_scripted_llm(service: AppUnderTest) -> None:
    service.ai_server.llm.always(
        {"intent": "greeting", "confidence": 0.9, "response": "Hello! What would you like?"}
    )

    response = await service.client().post(
        "/api/voice/analyze", json={"transcript": "hello", "session_id": None}
    )

    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["response"] == "Hello! What would you like?"
    (payload,) = service.ai_server.llm.payloads
    assert payload["transcript"] == "hello"
    assert payload["session_id"] == body["session_id"]


async def test_speech_goes_to_the_scripted_stt(service: AppUnderTest) -> None:
    service.ai_server.stt.always({"text": "two french dinners", "language": "en"})
    clip = FileStorage(
        io.BytesIO(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(64)),
        filename="clip.wav",
        headers=Headers({"Content-Type": "audio/wav"}),
    )

    response = await service.client().post(
        "/api/voice/stt", files={"audio": clip}, form={"language": "en"}
    )

    assert (response.status_code, await response.get_json()) == (
        200,
        {"text": "two french dinners", "language": "en"},
    )
    assert service.ai_server.stt.payloads[0]["language"] == "en"


async def test_a_picture_comes_from_the_scripted_image_engine(service: AppUnderTest) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(picture, "PNG")
    service.ai_server.image.always(
        {"image_b64": base64.b64encode(picture.getvalue()).decode(), "mime_type": "image/png"}
    )

    response = await service.client().post(
        "/api/customizations/generate-ai-image", json={"prompt": "a red cake"}
    )

    assert response.status_code == 201, await response.get_json()
    assert service.ai_server.image.payloads[0]["prompt"] == "a red cake"


async def test_tokens_sign_in_any_user_in_any_role(service: AppUnderTest) -> None:
    client = service.client()

    as_customer = await client.get("/api/orders", headers=service.tokens.bearer("ana", "customer"))
    as_cook = await client.get("/api/orders", headers=service.tokens.bearer("new-cook", "cook"))
    as_nobody = await client.get("/api/orders")

    assert (as_customer.status_code, as_cook.status_code, as_nobody.status_code) == (403, 200, 401)


async def test_a_staff_socket_hears_of_an_order_placed_over_http(service: AppUnderTest) -> None:
    async with service.socket("cook-1", "cook") as socket:
        assert socket.connected["user_id"] == "cook-1"
        response = await service.client().post(
            "/api/orders", json=ORDER, headers=service.tokens.bearer("customer-1", "customer")
        )
        order = await response.get_json()

        frame = await socket.wait_for("order.created")

    assert frame["data"]["order_id"] == order["order_id"]
    assert [seen["type"] for seen in socket.frames] == ["order.created"]


async def test_a_socket_the_server_refuses_says_why(service: AppUnderTest) -> None:
    with pytest.raises(RuntimeError, match="refused"):
        async with service.socket("x" * 1000, "cook"):
            pass


async def test_a_teams_blueprint_is_served_and_reaches_the_services(
    service: AppUnderTest,
) -> None:
    await service.client().post(
        "/api/orders", json=ORDER, headers=service.tokens.bearer("customer-1", "customer")
    )

    response = await service.client().get("/api/team/orders")

    assert await response.get_json() == {"orders": 1}


async def test_settings_given_win_over_the_kits(tmp_path: Path) -> None:
    async with serve_for_tests(tmp_path, ai_timeout=1.5, secret_key="k" * 40) as service:
        assert service.app.extensions[SETTINGS].ai_timeout == 1.5
        response = await service.client().get(
            "/api/orders", headers=service.tokens.bearer("m", "manager")
        )
        assert response.status_code == 200
