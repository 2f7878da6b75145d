"""The testing kit's scripted AI Server (:mod:`quart_app.testing`) as the bus tests and bench
use it: one request kind, answered the same way while a block runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bus.ai import AIRequester
from bus.base import Bus
from quart_app.testing import Answer, ScriptedAIServer, ScriptedEngine


def echo(request: dict[str, Any]) -> dict[str, Any]:
    """The result of an ``ok`` reply carrying the request's payload back."""
    return dict(request["payload"])


def echo_reply(request: dict[str, Any]) -> dict[str, Any]:
    """The whole ``ok`` reply of :func:`echo`, for a test that stores or publishes it itself."""
    return {"request_id": request["request_id"], "status": "ok", "result": echo(request)}


@asynccontextmanager
async def answering(
    bus: Bus, answer: Answer = echo, *, kind: str = "llm"
) -> AsyncIterator[ScriptedEngine]:
    """Answer every ``kind`` request on ``bus`` with ``answer`` while the block runs; yields
    the engine (``.requests``: what it was asked)."""
    async with ScriptedAIServer(bus, kinds=[kind]) as server:
        engine = server.engine(kind)
        engine.always(answer)
        yield engine


@asynccontextmanager
async def requesting(bus: Bus) -> AsyncIterator[AIRequester]:
    """An :class:`AIRequester` on ``bus``, started for the block and closed after it."""
    requester = AIRequester(bus)
    await requester.start()
    try:
        yield requester
    finally:
        await requester.close()
