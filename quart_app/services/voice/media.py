"""Generated images on disk under ``MEDIA_DIR``, checked before they are kept.

The AI Server's bytes are untrusted: they must decode, fit ``max_bytes``, and
be a PNG, JPEG or WebP of the requested aspect ratio that Pillow can verify.
Files get random names and are written atomically (a temporary file renamed
into place), so a reader never sees half an image; names are checked against
one pattern before serving, so no path from a client reaches the file system.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import os
import re
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from quart_app.services.voice.ai_client import BadAIResult

MAX_PIXELS = 4096 * 4096
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_NAME = re.compile(r"[A-Za-z0-9_-]{16,64}\.(png|jpg|webp)")


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An image kept under the media directory."""

    image_id: str
    name: str

    @property
    def path(self) -> str:
        """Where ``GET`` serves it."""
        return f"/media/{self.name}"


def content_type_of(name: str) -> str | None:
    """The content type to serve ``name`` with, or ``None`` if it is no name we gave out."""
    match = _NAME.fullmatch(name)
    return CONTENT_TYPES[match.group(1)] if match else None


class MediaStore:
    """Checks and stores images in ``directory``."""

    def __init__(self, directory: Path, *, max_bytes: int) -> None:
        self.directory = directory
        self._max_bytes = max_bytes

    async def save_image(self, image_b64: str, *, aspect_ratio: str) -> StoredImage:
        """Check the image and store it; :class:`BadAIResult` if it isn't one we accept.

        ``aspect_ratio`` (``"width:height"``) is the one requested: an image of
        another shape is refused.
        """
        data = self._decode(image_b64)
        extension = _image_extension(data, aspect_ratio)
        image_id = secrets.token_urlsafe(18)
        stored = StoredImage(image_id, f"{image_id}.{extension}")
        await asyncio.to_thread(self._write, stored.name, data)
        return stored

    def _decode(self, image_b64: str) -> bytes:
        # base64 grows 4/3: refuse an oversized text before decoding it.
        if len(image_b64) > (self._max_bytes + 2) // 3 * 4:
            raise _bad(f"the image is larger than {self._max_bytes} bytes")
        try:
            data = base64.b64decode(image_b64, validate=True)
        except (binascii.Error, ValueError):
            raise _bad("image_b64 is not valid base64") from None
        if not data:
            raise _bad("the image is empty")
        if len(data) > self._max_bytes:
            raise _bad(f"the image is larger than {self._max_bytes} bytes")
        return data

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, self.directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _image_extension(data: bytes, aspect_ratio: str) -> str:
    """The extension for ``data`` if Pillow verifies it as an allowed, sane image of that shape."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                width, height = image.size
                image.verify()
    except Exception as error:  # Pillow raises many kinds for bad bytes
        raise _bad(f"the bytes are not a readable image ({type(error).__name__})") from None
    if image_format not in EXTENSIONS:
        raise _bad(f"image format {image_format or 'unknown'} is not PNG, JPEG or WebP")
    if width * height > MAX_PIXELS:
        raise _bad(f"the image is {width}x{height}, too many pixels")
    ratio_width, ratio_height = (int(part) for part in aspect_ratio.split(":"))
    if width * ratio_height != height * ratio_width:
        raise _bad(f"the image is {width}x{height}, not {aspect_ratio}")
    return EXTENSIONS[image_format]


def _bad(problem: str) -> BadAIResult:
    return BadAIResult("image", [problem])
