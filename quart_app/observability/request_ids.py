"""``X-Request-ID``: every response carries one, every log line of the request too.

The client's (or the load balancer's) id is kept when it is a sane token,
otherwise a new one is generated. It is set around the whole ASGI call, so it
covers error handlers and WebSocket sessions as well as views.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from config.logs import CURRENT_REQUEST_ID

HEADER = b"x-request-id"
_VALID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

Asgi = Any


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The request's own id when it is 1-128 safe characters, else a new random one."""
    for name, value in headers:
        if name.lower() == HEADER and _VALID.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """ASGI middleware around ``app.asgi_app`` (lifespan passes through)."""

    def __init__(self, app: Asgi) -> None:
        self._app = app

    async def __call__(self, scope: dict[str, Any], receive: Asgi, send: Asgi) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                headers = [pair for pair in message.get("headers", []) if pair[0] != HEADER]
                message = {**message, "headers": [*headers, (HEADER, request_id.encode())]}
            await send(message)

        token = CURRENT_REQUEST_ID.set(request_id)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            CURRENT_REQUEST_ID.reset(token)
