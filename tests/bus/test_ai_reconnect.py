"""AI requests across a lost bus connection (a failover), on every backend: one already
pushed waits for the bus to come back, then gets its stored result or is sent again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bus.ai import AIRequester
from bus.base import Bus, BusTimeout, BusUnavailable
from bus.keys import ai_queue
from tests.support.ai_server import answering, echo_reply
from tests.support.bus_backends import Backend
from tests.support.queues import take

WAIT = 5.0
NEVER = 60.0


class _Reconnecting:
    """The backend's bus, whose connection the test loses and gets back by hand: it
    tells the connection listeners, as a Redis bus does around a failover."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._listeners: list[Callable[[bool], None]] = []
        self.reads_to_fail = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)

    async def get_many(self, *keys: str) -> list[bytes | None]:
        if self.reads_to_fail:
            self.reads_to_fail -= 1
            raise BusUnavailable("the new master is not answering yet")
        return await self._bus.get_many(*keys)

    def add_connection_listener(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def lose(self) -> None:
        for listener in list(self._listeners):
            listener(False)

    def get_back(self) -> None:
        for listener in list(self._listeners):
            listener(True)


@pytest.fixture
def reconnecting(backend: Backend) -> _Reconnecting:
    return _Reconnecting(backend.bus)


@pytest.fixture
async def requester(reconnecting: _Reconnecting) -> AsyncIterator[AIRequester]:
    made = AIRequester(reconnecting)  # type: ignore[arg-type]
    yield made
    await made.close()


@pytest.fixture
async def worker(backend: Backend) -> Bus:
    """Another instance on the backend: where the test plays the AI Server and Redis."""
    return await backend.peer()


async def _send(
    requester: AIRequester, worker: Bus, n: int, *, lifetime: float = WAIT
) -> tuple[asyncio.Task[dict[str, Any]], dict[str, Any]]:
    """A request ``{"n": n}`` waiting for its result, and the message it pushed, taken
    off the queue: what a failover may lose."""
    waiting = asyncio.create_task(requester.request("llm", {"n": n}, timeout=lifetime))
    return waiting, await _pushed(worker)


async def _pushed(worker: Bus) -> dict[str, Any]:
    """The next llm request, taken off its queue."""
    raw = await asyncio.wait_for(take(worker, ai_queue("llm"), timeout=WAIT), WAIT + 1)
    assert raw is not None, "no request was pushed"
    request: dict[str, Any] = json.loads(raw)
    return request


async def test_a_request_waiting_through_a_lost_connection_gets_the_result_stored_meanwhile(
    reconnecting: _Reconnecting, requester: AIRequester, worker: Bus
) -> None:
    waiting, request = await _send(requester, worker, 1)

    reconnecting.lose()
    # Nothing of a new request was sent: it is refused at once, as before.
    with pytest.raises(BusUnavailable):
        await asyncio.wait_for(requester.request("llm", {}, timeout=NEVER), WAIT)
    # Answered behind the new master, and published while nobody listened.
    await worker.set(request["reply_to"], json.dumps(echo_reply(request)), ttl=300)
    reconnecting.get_back()

    assert await asyncio.wait_for(waiting, WAIT) == {"n": 1}
    assert await worker.items(ai_queue("llm")) == []  # answered: not sent again


async def test_a_request_lost_with_the_connection_is_sent_again_as_it_was_and_answered(
    reconnecting: _Reconnecting, requester: AIRequester, worker: Bus
) -> None:
    waiting, lost = await _send(requester, worker, 2)

    reconnecting.lose()
    reconnecting.get_back()

    async with answering(worker) as engine:
        assert await asyncio.wait_for(waiting, WAIT) == {"n": 2}
    assert engine.requests == [lost]  # the same message: the same request_id


async def test_the_read_after_the_bus_came_back_is_tried_again_until_it_works(
    reconnecting: _Reconnecting, requester: AIRequester, worker: Bus
) -> None:
    waiting, _ = await _send(requester, worker, 4)

    reconnecting.lose()
    reconnecting.reads_to_fail = 2
    reconnecting.get_back()

    async with answering(worker):
        assert await asyncio.wait_for(waiting, WAIT) == {"n": 4}
    assert reconnecting.reads_to_fail == 0


async def test_a_request_is_sent_again_only_once(
    reconnecting: _Reconnecting, requester: AIRequester, worker: Bus
) -> None:
    lifetime = 3.0
    waiting, lost = await _send(requester, worker, 3, lifetime=lifetime)
    reconnecting.lose()
    reconnecting.get_back()
    assert await _pushed(worker) == lost

    reconnecting.lose()
    reconnecting.get_back()

    with pytest.raises(BusTimeout):
        await asyncio.wait_for(waiting, lifetime + WAIT)
    assert await worker.items(ai_queue("llm")) == []
