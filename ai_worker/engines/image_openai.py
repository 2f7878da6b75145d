"""The ``openai`` image engine: any OpenAI-compatible ``/images/generations`` endpoint."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ai_worker.engines.openai_http import OpenAIClient
from ai_worker.errors import UpstreamError
from ai_worker.requests import read_payload
from bus.ai_messages import ImagePayload, ImageResult, ImageType
from config.worker import WorkerSettings

_SIGNATURES: dict[bytes, ImageType] = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def image_type(data: bytes) -> ImageType:
    """``image/png``, ``image/jpeg`` or ``image/webp`` from the bytes, or :class:`UpstreamError`."""
    for signature, mime_type in _SIGNATURES.items():
        if data.startswith(signature):
            return mime_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise UpstreamError("the image endpoint answered something that is not PNG, JPEG or WebP")


class OpenAIImageEngine:
    """Generates a 1:1 image through ``config.image_base_url``."""

    def __init__(self, config: WorkerSettings) -> None:
        self._model = config.image_model
        self._size = config.image_size
        self._client = OpenAIClient(
            config.image_base_url or "", config.image_api_key, config.ai_worker_http_timeout
        )

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        request = read_payload(ImagePayload, payload)
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "n": 1,
            "size": self._size,
            "response_format": "b64_json",
        }
        if self._model:
            body["model"] = self._model
        reply = await self._client.post("/images/generations", body)
        image = await self._image(reply)
        return ImageResult(
            image_b64=base64.b64encode(image).decode(), mime_type=image_type(image)
        ).model_dump()

    async def _image(self, reply: dict[str, Any]) -> bytes:
        try:
            first = reply["data"][0]
        except (KeyError, IndexError, TypeError):
            raise UpstreamError("the image endpoint answered no image") from None
        if isinstance(first, dict) and isinstance(first.get("b64_json"), str):
            try:
                return base64.b64decode(first["b64_json"], validate=True)
            except (binascii.Error, ValueError):
                raise UpstreamError("the image endpoint answered bad base64") from None
        if isinstance(first, dict) and isinstance(first.get("url"), str):
            return await self._client.get_bytes(first["url"])
        raise UpstreamError("the image endpoint answered no image")

    async def close(self) -> None:
        await self._client.close()
