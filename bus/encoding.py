"""Turning what callers hand the bus into the bytes it stores."""

from __future__ import annotations

from bus.base import Data, Pieces


def to_bytes(data: Data) -> bytes:
    """UTF-8 for text; a private copy of any bytes-like object, so later changes don't leak in."""
    if isinstance(data, str):
        return data.encode()
    return bytes(data)


def joined(data: Pieces) -> bytes:
    """All of ``data``'s pieces in one; :class:`ValueError` unless they come to its size."""
    whole = b"".join(data.produce())
    if len(whole) != data.size:
        raise ValueError(f"the pieces came to {len(whole)} bytes, not the {data.size} announced")
    return whole
