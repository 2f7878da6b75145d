"""The ``sketch`` image engine: a cake drawn with Pillow from the prompt, offline."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
from typing import Any

from ai_worker.engines.cake_drawing import draw_cake
from ai_worker.engines.cake_prompt import read_prompt
from ai_worker.requests import read_payload
from bus.ai_messages import ImagePayload, ImageResult
from config.worker import WorkerSettings


def render_png(prompt: str, font_path: str | None = None) -> bytes:
    """The PNG of the cake ``prompt`` describes; the same prompt, the same bytes."""
    seed = int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:8], "big")
    image = draw_cake(read_prompt(prompt), seed, font_path)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


class SketchImageEngine:
    """Answers ``image`` requests with a 1:1 PNG, drawn in a thread."""

    def __init__(self, config: WorkerSettings) -> None:
        self._font = config.image_font

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        request = read_payload(ImagePayload, payload)
        png = await asyncio.to_thread(render_png, request.prompt, self._font)
        return ImageResult(
            image_b64=base64.b64encode(png).decode(), mime_type="image/png"
        ).model_dump()

    async def close(self) -> None:
        return None
