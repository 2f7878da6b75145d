"""Small images in any format, and an image engine's result carrying one."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image


def image_bytes(image_format: str, size: tuple[int, int] = (8, 8)) -> bytes:
    """A one-colour ``size`` image encoded as ``image_format`` (a PIL format name)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def image_result(data: bytes, mime_type: str = "image/png") -> dict[str, Any]:
    """An image engine's ``ok`` result carrying ``data``."""
    return {"image_b64": base64.b64encode(data).decode(), "mime_type": mime_type}
