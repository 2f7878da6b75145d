"""POST /api/voice/stt: multipart audio, whitelisted types, 25 MiB read with a counter."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from quart.testing import QuartClient, connections

from config.settings import MIB
from quart_app.services.voice.audio import AUDIO_TYPES
from quart_app.testing import ScriptedAIServer, error
from tests.support.bus_backends import Backend
from tests.support.voice_api import AUDIO, STT, StartApp, post_stt, upload

CHUNK = 64 * 1024


@pytest.fixture
async def stt_client(
    memory_backend: Backend, start_app: StartApp
) -> AsyncIterator[tuple[QuartClient, ScriptedAIServer]]:
    ai_server = ScriptedAIServer(memory_backend.bus)
    ai_server.stt.always({"text": "two french dinners", "language": "en"})
    await ai_server.start()
    yield await start_app(memory_backend.bus, max_audio_bytes=MIB), ai_server
    await ai_server.stop()


async def test_audio_is_transcribed(stt_client: tuple[QuartClient, ScriptedAIServer]) -> None:
    client, ai_server = stt_client

    status, body = await post_stt(
        client, audio=upload(AUDIO, "audio/webm;codecs=opus", "../my clip.webm"), language="en"
    )

    assert (status, body) == (200, {"text": "two french dinners", "language": "en"})
    payload = ai_server.stt.payloads[0]
    assert base64.b64decode(payload["audio_b64"]) == AUDIO
    assert (payload["mime_type"], payload["language"]) == ("audio/webm", "en")
    assert payload["filename"] == "my_clip.webm"


async def test_language_is_optional(stt_client: tuple[QuartClient, ScriptedAIServer]) -> None:
    client, ai_server = stt_client

    status, _ = await post_stt(client, audio=upload(AUDIO))

    assert status == 200
    assert ai_server.stt.payloads[0]["language"] is None


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        pytest.param({}, 400, "missing_audio", id="missing"),
        pytest.param({"audio": upload(b"")}, 400, "empty_audio", id="empty"),
        pytest.param(
            {"audio": upload(AUDIO, "text/plain")}, 415, "unsupported_media_type", id="text"
        ),
        pytest.param(
            {"audio": upload(AUDIO, "video/webm")}, 415, "unsupported_media_type", id="video"
        ),
        pytest.param(
            {"audio": upload(AUDIO), "language": "english please"},
            422,
            "validation_error",
            id="language",
        ),
        pytest.param({"audio": upload(b"x" * (MIB + 1))}, 413, "audio_too_large", id="file"),
        pytest.param(
            {"audio": upload(b"x" * (2 * MIB))}, 413, "request_entity_too_large", id="body"
        ),
    ],
)
async def test_bad_uploads_are_refused(
    stt_client: tuple[QuartClient, ScriptedAIServer], fields: dict[str, Any], status: int, code: str
) -> None:
    client, ai_server = stt_client

    got, body = await post_stt(client, **fields)

    assert (got, body["error"]["code"]) == (status, code)
    assert ai_server.stt.requests == []


async def test_the_openapi_schema_asks_for_an_audio_file_of_an_accepted_type(
    stt_client: tuple[QuartClient, ScriptedAIServer],
) -> None:
    client, _ = stt_client
    spec = await (await client.get("/openapi.json")).get_json()
    form = spec["paths"][STT]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["required"] == ["audio"]
    # A form has no null: each part is a file or a string.
    assert form["schema"]["properties"]["audio"]["format"] == "binary"
    assert form["schema"]["properties"]["language"]["type"] == "string"
    accepted = form["encoding"]["audio"]["contentType"].split(", ")
    assert set(accepted) == AUDIO_TYPES


async def test_audio_the_ai_server_cannot_decode_is_422(
    stt_client: tuple[QuartClient, ScriptedAIServer],
) -> None:
    client, ai_server = stt_client
    ai_server.stt.queue(error("bad_audio", "the file has no audio stream"))

    status, body = await post_stt(client, audio=upload(b"\x89PNG not audio", "audio/mpeg"))

    assert (status, body["error"]["code"]) == (422, "bad_audio")
    assert body["error"]["details"] == [
        {"field": "audio", "message": "The audio could not be decoded.", "type": "bad_audio"}
    ]


@pytest.mark.slow
async def test_the_default_limit_takes_25_mib_not_30(
    memory_backend: Backend, start_app: StartApp
) -> None:
    ai_server = ScriptedAIServer(memory_backend.bus)
    ai_server.stt.always({"text": "ok", "language": "en"})
    await ai_server.start()
    try:
        client = await start_app(memory_backend.bus)
        accepted, _ = await post_stt(client, audio=upload(b"a" * (25 * MIB - 1024)))
        refused, body = await post_stt(client, audio=upload(b"a" * (30 * MIB)))
    finally:
        await ai_server.stop()

    assert (accepted, refused, body["error"]["code"]) == (200, 413, "request_entity_too_large")


async def post_chunked(client: QuartClient, audio: bytes) -> tuple[int, dict[str, Any]]:
    """Stream a multipart upload of ``audio`` in 64 KiB parts, with no Content-Length."""
    boundary = "chunked-upload-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="audio"; filename="clip.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + audio
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = cast(
        connections.TestHTTPConnection, client.request(STT, method="POST", headers=headers)
    )
    async with request as connection:
        assert b"content-length" not in dict(connection.scope["headers"])
        for start in range(0, len(body), CHUNK):
            await connection.send(body[start : start + CHUNK])
            # Lets the parser wait for the next part, as it does behind a real server.
            await asyncio.sleep(0)
        await connection.send_complete()
    response = await connection.as_response()
    return response.status_code, await response.get_json()


async def test_a_chunked_upload_within_the_limit_is_transcribed(
    stt_client: tuple[QuartClient, ScriptedAIServer],
) -> None:
    client, ai_server = stt_client

    status, body = await post_chunked(client, AUDIO * 100)

    assert (status, body["text"]) == (200, "two french dinners")
    assert base64.b64decode(ai_server.stt.payloads[0]["audio_b64"]) == AUDIO * 100


async def test_a_chunked_upload_over_the_limit_is_413(
    stt_client: tuple[QuartClient, ScriptedAIServer],
) -> None:
    client, ai_server = stt_client

    status, body = await post_chunked(client, b"x" * (2 * MIB))

    assert (status, body["error"]["code"]) == (413, "request_entity_too_large")
    assert ai_server.stt.requests == []


@pytest.mark.parametrize(
    "request_body",
    [
        pytest.param({"json": {"audio": "UklGRg=="}}, id="json"),
        pytest.param({"form": {"language": "en"}}, id="urlencoded"),
        pytest.param({"data": AUDIO, "headers": {"Content-Type": "audio/wav"}}, id="raw-audio"),
    ],
)
async def test_a_body_that_is_not_multipart_is_415(
    stt_client: tuple[QuartClient, ScriptedAIServer], request_body: dict[str, Any]
) -> None:
    client, ai_server = stt_client

    response = await client.post(STT, **request_body)
    body = await response.get_json()

    assert (response.status_code, body["error"]["code"]) == (415, "unsupported_media_type")
    assert ai_server.stt.requests == []
