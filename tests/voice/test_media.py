"""AI images: checked, stored with a random name, served back safely."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from quart.testing import QuartClient

from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend
from tests.support.images import image_bytes, image_result
from tests.support.voice_api import GENERATE, StartApp


@pytest.fixture
async def media_client(
    memory_backend: Backend, start_app: StartApp, tmp_path: Path
) -> AsyncIterator[tuple[QuartClient, ScriptedAIServer]]:
    ai_server = ScriptedAIServer(memory_backend.bus)
    await ai_server.start()
    yield await start_app(memory_backend.bus, max_image_bytes=64 * 1024), ai_server
    await ai_server.stop()


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
async def test_an_image_is_stored_and_served(
    media_client: tuple[QuartClient, ScriptedAIServer], image_format: str, content_type: str
) -> None:
    client, ai_server = media_client
    data = image_bytes(image_format)
    # The declared type is not trusted: the bytes decide.
    ai_server.image.queue(image_result(data, "image/png"))

    response = await client.post(GENERATE, json={"prompt": "a red cake", "aspect_ratio": "1:1"})
    body = await response.get_json()

    assert response.status_code == 201, body
    assert ai_server.image.payloads[0] == {"prompt": "a red cake", "aspect_ratio": "1:1"}
    assert body["image_path"] == f"/media/{body['image_id']}.{body['image_path'].rsplit('.')[-1]}"
    served = await client.get(body["image_path"])
    assert served.status_code == 200
    assert served.headers["Content-Type"] == content_type
    with Image.open(io.BytesIO(await served.get_data())) as kept:
        assert (kept.format, kept.size) == (image_format, (8, 8))
        assert kept.convert("RGB").getpixel((4, 4)) == pytest.approx((200, 30, 30), abs=8)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def inflating_png(side: int, inflated: int) -> bytes:
    """A grey ``side`` x ``side`` PNG whose pixel data inflates to ``inflated`` bytes."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * inflated, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def inflated_size(png: bytes) -> int:
    """How many bytes a PNG's pixel data inflates to."""
    position, data = 8, b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        if png[position + 4 : position + 8] == b"IDAT":
            data += png[position + 8 : position + 8 + length]
        position += 12 + length
    return len(zlib.decompress(data))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(inflating_png(64, 32 * 1024 * 1024), id="inflates-to-32-MiB"),
        pytest.param(image_bytes("PNG") + b"<html><script>alert(1)</script></html>", id="html"),
    ],
)
async def test_what_is_served_is_exactly_the_checked_pixels(
    media_client: tuple[QuartClient, ScriptedAIServer], data: bytes
) -> None:
    client, ai_server = media_client
    ai_server.image.queue(image_result(data))

    response = await client.post(GENERATE, json={"prompt": "a cake", "aspect_ratio": "1:1"})
    body = await response.get_json()
    served = await (await client.get(body["image_path"])).get_data()

    with Image.open(io.BytesIO(served)) as kept:
        width, height = kept.size
    assert inflated_size(served) <= height * (1 + 3 * width)  # one filter byte a row, RGB
    assert b"<html" not in served


@pytest.mark.parametrize(
    "result",
    [
        pytest.param({"image_b64": "not base64!!", "mime_type": "image/png"}, id="base64"),
        pytest.param(image_result(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), id="truncated"),
        pytest.param(image_result(b"<svg></svg>"), id="svg"),
        pytest.param(image_result(image_bytes("GIF")), id="gif"),
        pytest.param(image_result(image_bytes("BMP", (200, 200))), id="too-large"),
        pytest.param(image_result(image_bytes("PNG", (16, 8))), id="not-square"),
        pytest.param(image_result(image_bytes("WEBP", (8, 9))), id="almost-square"),
        pytest.param(image_result(image_bytes("PNG"), "image/gif"), id="declared-gif"),
        pytest.param({"mime_type": "image/png"}, id="no-image"),
    ],
)
async def test_a_bad_image_is_502_and_nothing_is_stored(
    media_client: tuple[QuartClient, ScriptedAIServer], result: dict[str, Any], tmp_path: Path
) -> None:
    client, ai_server = media_client
    ai_server.image.queue(result)

    response = await client.post(GENERATE, json={"prompt": "a cake"})
    body = await response.get_json()

    assert (response.status_code, body["error"]["code"]) == (502, "bad_ai_result")
    media = tmp_path / "media"
    assert not media.exists() or list(media.iterdir()) == []


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": ""},
        {"prompt": " \t "},
        {"prompt": "x" * 501},
        {"prompt": "cake", "aspect_ratio": "16:9"},
        {},
    ],
)
async def test_a_bad_image_request_is_422(
    media_client: tuple[QuartClient, ScriptedAIServer], body: dict[str, Any]
) -> None:
    client, ai_server = media_client

    response = await client.post(GENERATE, json=body)

    assert response.status_code == 422
    assert ai_server.image.requests == []


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2Fservice.db",
        "/media/../service.db",
        "/media/%2e%2e/service.db",
        "/media/%2Fetc%2Fpasswd",
        "/media/service.db",
        "/media/.incoming-abc",
        "/media/AAAAAAAAAAAAAAAAAAAAAAAA.png",
    ],
)
async def test_only_stored_images_are_served(
    media_client: tuple[QuartClient, ScriptedAIServer], path: str, tmp_path: Path
) -> None:
    client, _ = media_client
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media" / "service.db").write_bytes(b"secret")

    response = await client.get(path)

    assert response.status_code == 404
    assert b"secret" not in await response.get_data()
