"""Turning what callers hand the bus into the bytes it stores."""

from __future__ import annotations

from bus.base import Data


def to_bytes(data: Data) -> bytes:
    """UTF-8 for text; a private copy of any bytes-like object, so later changes don't leak in."""
    if isinstance(data, str):
        return data.encode()
    return bytes(data)
