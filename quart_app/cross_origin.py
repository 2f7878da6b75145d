"""CORS for browsers on other origins (``CORS_ORIGINS``; none by default), with quart-cors."""

from __future__ import annotations

from collections.abc import Sequence

from quart import Quart
from quart_cors import cors

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID")
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After")
PREFLIGHT_MAX_AGE = 600


def allow_origins(app: Quart, origins: Sequence[str]) -> None:
    """Let pages on ``origins`` call the HTTP API; other origins get no CORS headers at all.

    WebSocket handlers must be marked ``quart_cors.cors_exempt``: a socket
    proves who it is with the token in its first frame, and non-browser
    clients send no ``Origin``, which quart-cors would refuse.
    """
    if origins:
        cors(
            app,
            allow_origin=list(origins),
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            max_age=PREFLIGHT_MAX_AGE,
        )
