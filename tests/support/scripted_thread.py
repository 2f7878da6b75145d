"""The scripted AI Server for a service that runs as a process (a browser test's): it serves
the service's Redis from an event loop in a thread of its own, so that a synchronous test
(Playwright's) scripts it; and a hands-free stream whose events the test publishes one by one."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from redis.asyncio import Redis

from bus import Bus, make_bus
from bus.ai import RESULT_TTL, publish_result
from bus.keys import ai_stream_final
from quart_app.testing import Reply, ScriptedAIServer, never
from tests.support.waiting import WAIT

T = TypeVar("T")


class AIServerThread:
    """An event loop in a thread of its own, with a bus on the Redis at ``url``, whose
    database it empties first (only ever a test database: ``TEST_REDIS_URL``). Use it as a
    context manager; :meth:`serving` puts a :class:`ScriptedAIServer` on that bus, which
    the test scripts (``ai_server.llm.queue(...)``) from its own thread, and :meth:`run`
    runs coroutines on the loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.bus: Bus

    def run(self, awaitable: Awaitable[T], within: float = WAIT) -> T:
        """Await ``awaitable`` on the loop; its result (its exception raised here)."""

        async def wait() -> T:
            return await awaitable

        future: Future[T] = asyncio.run_coroutine_threadsafe(wait(), self._loop)
        return future.result(within)

    def __enter__(self) -> AIServerThread:
        self._thread.start()
        self.run(self._connect())
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.run(self.bus.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(WAIT)
            self._loop.close()

    async def _connect(self) -> None:
        async with Redis.from_url(self.url) as admin:
            await admin.flushdb()
        self.bus = make_bus(self.url)
        await self.bus.connect()

    @contextmanager
    def serving(self) -> Iterator[ScriptedAIServer]:
        """A new scripted AI Server on the bus while the block runs (what an earlier one
        was told and did not do is gone with it)."""
        server = self.run(self._started())
        try:
            yield server
        finally:
            self.run(server.stop(), within=3 * WAIT)

    async def _started(self) -> ScriptedAIServer:
        server = ScriptedAIServer(self.bus)
        await server.start()
        return server

    def gate(self) -> Gate:
        """A gate on this loop (:func:`quart_app.testing.gated` waits for it), opened from
        the test's thread."""
        return Gate(self, self.run(_new_event()))


async def _new_event() -> asyncio.Event:
    return asyncio.Event()


class Gate:
    """An :class:`asyncio.Event` of an :class:`AIServerThread`'s loop, set from outside it."""

    def __init__(self, thread: AIServerThread, event: asyncio.Event) -> None:
        self._thread = thread
        self.event = event

    def open(self) -> None:
        self._thread.run(_set(self.event))


async def _set(event: asyncio.Event) -> None:
    event.set()


class DrivenStream:
    """A ``stt_stream`` answer (``ai_server.stt_stream.queue(stream)``) that accepts the
    stream at once and then publishes only what the test tells it to, when it tells it:
    :meth:`publish` (``speech_started``, ``partial``, ``final``, as the reference AI
    Server would). The audio the page streams is not read."""

    def __init__(self, thread: AIServerThread) -> None:
        self._thread = thread
        self._taken: asyncio.Future[dict[str, Any]] | None = None

    async def __call__(self, request: dict[str, Any]) -> Reply:
        await publish_result(self._thread.bus, request["reply_to"], _ok(request, "accepted"))
        self._accepted().set_result(request)
        return never()

    def _accepted(self) -> asyncio.Future[dict[str, Any]]:
        if self._taken is None:
            self._taken = asyncio.get_running_loop().create_future()
        return self._taken

    def request(self, within: float = WAIT) -> dict[str, Any]:
        """The stream's request message, once the stream was accepted."""

        async def accepted() -> dict[str, Any]:
            return await self._accepted()

        return self._thread.run(asyncio.wait_for(accepted(), within), within + 1)

    def publish(self, event: str, **fields: Any) -> None:
        """Publish the event ``event`` with ``fields`` on the stream's ``reply_to`` (a final
        is also stored under its utterance, as the reference AI Server does)."""
        self._thread.run(self._publish(self.request(), event, fields))

    async def _publish(self, request: dict[str, Any], event: str, fields: dict[str, Any]) -> None:
        body = _ok(request, event, **fields)
        if event == "final":
            final = ai_stream_final(request["reply_to"], fields["utterance"])
            await self._thread.bus.set(final, json.dumps(body), ttl=RESULT_TTL)
        await publish_result(self._thread.bus, request["reply_to"], body)


def _ok(request: dict[str, Any], event: str, **fields: Any) -> dict[str, Any]:
    return {
        "request_id": request["request_id"],
        "status": "ok",
        "result": {"event": event, **fields},
    }
