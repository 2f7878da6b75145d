"""Stand-ins for the AI Server: an echoing one for bus tests, a scripted one for the service.

``responder`` answers one request kind with one function while a block runs;
``Responder`` answers each kind with the next answer a test scripted.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bus.ai import publish_result
from bus.base import Bus, BusUnavailable
from bus.keys import AI_KINDS, ai_queue, ai_result
from bus.tasks import stop_tasks

Request = dict[str, Any]
Body = dict[str, Any] | bytes | None
Answer = Callable[[Request], Body | Awaitable[Body]]
"""A reply body, raw bytes to store and publish as they are, or ``None`` to never answer."""


def ok(result: dict[str, Any] | Callable[[Request], dict[str, Any]]) -> Answer:
    """Answer ``ok`` with ``result`` (or with what it computes from the request)."""

    def answer(request: Request) -> dict[str, Any]:
        body = result(request) if callable(result) else result
        return {"request_id": request["request_id"], "status": "ok", "result": body}

    return answer


def error(code: str, message: str = "failed") -> Answer:
    """Answer ``error`` with ``code``."""
    return lambda request: {
        "request_id": request["request_id"],
        "status": "error",
        "error": {"code": code, "message": message},
    }


def raw(data: bytes) -> Answer:
    """Answer with bytes that are not a valid result envelope."""
    return lambda request: data


def never() -> Answer:
    """Take the request and never answer it."""
    return lambda request: None


def gated(gate: asyncio.Event, answer: Answer) -> Answer:
    """Give ``answer`` only once ``gate`` is set (other requests are answered meanwhile)."""

    async def wait_then_answer(request: Request) -> Body:
        await gate.wait()
        body = answer(request)
        return await body if inspect.isawaitable(body) else body

    return wait_then_answer


@dataclass
class Responder:
    """Pops ``ai:queue:<kind>`` and answers each request with the next scripted answer.

    An empty script for a kind answers with its ``default`` (if set), else never.
    """

    bus: Bus
    default: dict[str, Answer] = field(default_factory=dict)
    scripts: dict[str, deque[Answer]] = field(default_factory=lambda: defaultdict(deque))
    seen: dict[str, list[Request]] = field(default_factory=lambda: defaultdict(list))
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _served: asyncio.Condition = field(default_factory=asyncio.Condition)

    def script(self, kind: str, *answers: Answer) -> None:
        """Queue ``answers`` for the next ``kind`` requests, in order."""
        self.scripts[kind].extend(answers)

    async def wait_for_requests(self, kind: str, count: int) -> list[Request]:
        """Wait until ``count`` requests of ``kind`` have been taken."""
        async with self._served:
            await self._served.wait_for(lambda: len(self.seen[kind]) >= count)
        return self.seen[kind]

    def start(self) -> None:
        self._tasks = {asyncio.create_task(self._serve(kind)) for kind in AI_KINDS}

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        self._tasks.clear()

    async def _serve(self, kind: str) -> None:
        while True:
            message = await self.bus.pop(ai_queue(kind), timeout=0.1)
            if message is None:
                continue
            request = json.loads(message)
            script = self.scripts[kind]
            answer = script.popleft() if script else self.default.get(kind, never())
            async with self._served:
                self.seen[kind].append(request)
                self._served.notify_all()
            # Each answer in its own task: a gated one holds up no other request.
            self._tasks.add(asyncio.create_task(self._answer(request, answer)))

    async def _answer(self, request: Request, answer: Answer) -> None:
        body = answer(request)
        if inspect.isawaitable(body):
            body = await body
        if isinstance(body, bytes):
            await self.bus.set(ai_result(request["request_id"]), body, ttl=300)
            await self.bus.publish(ai_result(request["request_id"]), body)
        elif body is not None:
            await publish_result(self.bus, request["request_id"], body)


Reply = Callable[[dict[str, Any]], dict[str, Any] | bytes]


def echo(request: dict[str, Any]) -> dict[str, Any]:
    """An ``ok`` reply carrying the request's payload back."""
    return {"request_id": request["request_id"], "status": "ok", "result": request["payload"]}


@asynccontextmanager
async def responder(
    bus: Bus, reply: Reply = echo, *, kind: str = "llm"
) -> AsyncIterator[list[dict[str, Any]]]:
    """Answer every ``kind`` request while the block runs; yields the requests seen.

    A reply given as ``bytes`` is stored and published as is (a malformed result).
    """
    seen: list[dict[str, Any]] = []
    # Stopped by a flag, not by cancelling: Python 3.11's wait_for can swallow a
    # cancellation that lands as fakeredis answers, leaving the task blocked.
    stopping = asyncio.Event()

    async def serve() -> None:
        while not stopping.is_set():
            try:
                raw = await bus.pop(ai_queue(kind), timeout=0.05)
            except BusUnavailable:  # Redis stopped by a fault test: keep trying
                await asyncio.sleep(0.05)
                continue
            if raw is None:
                continue
            request = json.loads(raw)
            seen.append(request)
            body = reply(request)
            if isinstance(body, bytes):
                await bus.set(ai_result(request["request_id"]), body, ttl=300)
                await bus.publish(ai_result(request["request_id"]), body)
            else:
                await publish_result(bus, request["request_id"], body)

    task = asyncio.create_task(serve())
    try:
        yield seen
    finally:
        stopping.set()
        await asyncio.wait_for(task, 5)
