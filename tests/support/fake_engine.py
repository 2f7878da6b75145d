"""A fake AI engine for the worker tests: records payloads, can be held on a gate, can fail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ai_worker.runner import Worker


class FakeEngine:
    """An engine that records payloads, can be held on a gate, and can fail."""

    def __init__(
        self, *, error: Exception | None = None, gate: asyncio.Event | None = None
    ) -> None:
        self.error = error
        self.gate = gate
        self.payloads: list[dict[str, Any]] = []
        self.started = asyncio.Event()
        self.closed = False

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return {"echo": payload}

    async def close(self) -> None:
        self.closed = True


WorkerFactory = Callable[..., Awaitable[Worker]]
"""``await make_worker(engines, start=..., **options)``: a worker on the test's bus."""
