"""Generated images are checked, and their pixels encoded again, before they are kept
(storing: ``services/media``).

The AI Server's bytes are untrusted: they must decode, fit ``max_bytes``, and
be a PNG, JPEG or WebP of the requested aspect ratio. A valid header proves
little: a PNG whose pixel data inflates far past its stated size has one, and
so does a PNG with HTML appended. So every pixel is decoded (at most
:data:`MAX_PIXELS`) and encoded again: what is kept is exactly the pixels that
were checked, and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image

from quart_app.services.voice.ai_client import BadAIResult

MAX_PIXELS = 4096 * 4096
"""At four bytes a pixel, the most a decoded image may cost: 64 MiB."""

_FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    "PNG": ("image/png", {}),
    "JPEG": ("image/jpeg", {"quality": 90}),
    "WEBP": ("image/webp", {"quality": 90}),
}


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """Image bytes that passed the checks (encoded again), and their content type."""

    data: bytes
    content_type: str


def check_image(image_b64: str, *, aspect_ratio: str, max_bytes: int) -> CheckedImage:
    """The image in ``image_b64``, encoded again, if it is one we accept; :class:`BadAIResult`
    if not. CPU-bound: call it off the event loop.

    ``aspect_ratio`` (``"width:height"``) is the one requested: an image of
    another shape is refused.
    """
    return _reencoded(_decode(image_b64, max_bytes), aspect_ratio)


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


def _reencoded(data: bytes, aspect_ratio: str) -> CheckedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                content_type, options = _allowed(image, aspect_ratio)
                image.load()  # every pixel, and no more than the header promised
                encoded = io.BytesIO()
                image.save(encoded, format=image.format, **options)
    except BadAIResult:
        raise
    except Exception as error:  # Pillow raises many kinds for bad bytes
        raise _bad(f"the bytes are not a readable image ({type(error).__name__})") from None
    return CheckedImage(encoded.getvalue(), content_type)


def _allowed(image: Image.Image, aspect_ratio: str) -> tuple[str, dict[str, Any]]:
    """The content type and save options of ``image``'s format, judged from its header."""
    image_format = image.format or ""
    if image_format not in _FORMATS:
        raise _bad(f"image format {image_format or 'unknown'} is not PNG, JPEG or WebP")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _bad(f"the image is {width}x{height}, too many pixels")
    ratio_width, ratio_height = (int(part) for part in aspect_ratio.split(":"))
    if width * ratio_height != height * ratio_width:
        raise _bad(f"the image is {width}x{height}, not {aspect_ratio}")
    return _FORMATS[image_format]


def _bad(problem: str) -> BadAIResult:
    return BadAIResult("image", [problem])
