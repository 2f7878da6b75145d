"""Waiting in tests for something another task does, always with a generous limit."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

WAIT = 5.0
"""Longest any single wait in the tests may take before it counts as a failure."""


async def eventually(condition: Callable[[], bool | Awaitable[bool]], within: float = WAIT) -> None:
    """Return once ``condition()`` (plain or awaitable) holds; ``TimeoutError`` after
    ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            holds = condition()
            if inspect.isawaitable(holds):
                holds = await holds
            if holds:
                return
            await asyncio.sleep(0.01)
