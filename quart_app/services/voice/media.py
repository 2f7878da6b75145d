"""Generated images are checked before they are kept (storing: ``services/media``).

The AI Server's bytes are untrusted: they must decode, fit ``max_bytes``, and
be a PNG, JPEG or WebP of the requested aspect ratio that Pillow can verify.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from PIL import Image

from quart_app.services.voice.ai_client import BadAIResult

MAX_PIXELS = 4096 * 4096
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """Image bytes that passed the checks, and their content type."""

    data: bytes
    content_type: str


def check_image(image_b64: str, *, aspect_ratio: str, max_bytes: int) -> CheckedImage:
    """The image in ``image_b64`` if it is one we accept; :class:`BadAIResult` if not.

    ``aspect_ratio`` (``"width:height"``) is the one requested: an image of
    another shape is refused.
    """
    data = _decode(image_b64, max_bytes)
    return CheckedImage(data, _content_type(data, aspect_ratio))


def _decode(image_b64: str, max_bytes: int) -> bytes:
    # base64 grows 4/3: refuse an oversized text before decoding it.
    if len(image_b64) > (max_bytes + 2) // 3 * 4:
        raise _bad(f"the image is larger than {max_bytes} bytes")
    try:
        data = base64.b64decode(image_b64, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("image_b64 is not valid base64") from None
    if not data:
        raise _bad("the image is empty")
    if len(data) > max_bytes:
        raise _bad(f"the image is larger than {max_bytes} bytes")
    return data


def _content_type(data: bytes, aspect_ratio: str) -> str:
    """The content type of ``data`` if Pillow verifies it as an allowed image of that shape."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                width, height = image.size
                image.verify()
    except Exception as error:  # Pillow raises many kinds for bad bytes
        raise _bad(f"the bytes are not a readable image ({type(error).__name__})") from None
    if image_format not in CONTENT_TYPES:
        raise _bad(f"image format {image_format or 'unknown'} is not PNG, JPEG or WebP")
    if width * height > MAX_PIXELS:
        raise _bad(f"the image is {width}x{height}, too many pixels")
    ratio_width, ratio_height = (int(part) for part in aspect_ratio.split(":"))
    if width * ratio_height != height * ratio_width:
        raise _bad(f"the image is {width}x{height}, not {aspect_ratio}")
    return CONTENT_TYPES[image_format]


def _bad(problem: str) -> BadAIResult:
    return BadAIResult("image", [problem])
