"""Waiting in tests for something another task does, always with a limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(condition: Callable[[], bool], *, within: float = 2.0) -> None:
    """Return once ``condition()`` holds; ``TimeoutError`` after ``within`` s."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)
