"""A hands-free client sending much faster than real time, served by hypercorn in this
process: the frames the server holds for it stay bounded while it is paced
(``quart_app/ws_receive.py``), and the stream still works."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Request,
    TextMessage,
)

from bus.ai_messages import PCM_FIELD
from bus.keys import ai_audio
from config import Settings
from quart_app import create_app
from quart_app.testing import ScriptedAIServer, speaks
from quart_app.ws_receive import RECEIVE_QUEUE
from tests.support.bus_backends import Backend
from tests.support.hands_free import SILENT, STREAM, VOICED, start_frame
from tests.support.ports import free_port
from tests.support.voice_api import FakeVoiceData, llm_answer
from tests.support.waiting import WAIT, eventually

FLOOD = 150
"""20 ms frames sent at once: 3 s of audio, 2 s past what the pacing lets through."""


class _WatchedQueue(asyncio.Queue[Any]):
    """A connection's receive queue that remembers the most messages it ever held."""

    peak = 0

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(item)
        self.peak = max(self.peak, self.qsize())


def _watch_receive_queues(app: Quart) -> list[_WatchedQueue]:
    """Make each WebSocket connection of ``app`` keep its messages in a watched queue of
    the size the app gave it; the queues, as connections open."""
    queues: list[_WatchedQueue] = []
    make = app.asgi_websocket_class

    def connection(app: Quart, scope: Any) -> Any:
        made = make(app, scope)
        made.queue = _WatchedQueue(made.queue.maxsize)
        queues.append(made.queue)
        return made

    app.asgi_websocket_class = connection  # type: ignore[assignment]
    return queues


@asynccontextmanager
async def _served(app: Quart) -> AsyncIterator[int]:
    """``app`` served by hypercorn on a free port of 127.0.0.1; the port."""
    config = Config()
    port = free_port()
    config.bind = [f"127.0.0.1:{port}"]
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]

    async def listening() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        return True

    try:
        await eventually(listening)
        yield port
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


class _Client:
    """A WebSocket client on a raw connection (wsproto), so that its writes are its own."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._events: list[Event] = []

    @classmethod
    async def open(cls, port: int, path: str) -> _Client:
        client = cls(*await asyncio.open_connection("127.0.0.1", port))
        await client._write(Request(host="127.0.0.1", target=path))
        assert isinstance(await client.next_event(), AcceptConnection)
        return client

    async def _write(self, event: Event) -> None:
        self._writer.write(self._ws.send(event))
        await self._writer.drain()

    async def send(self, data: str | bytes) -> None:
        await self._write(TextMessage(data) if isinstance(data, str) else BytesMessage(data))

    async def next_event(self) -> Event:
        async with asyncio.timeout(WAIT):
            while not self._events:
                data = await self._reader.read(65536)
                self._ws.receive_data(data or None)
                self._events.extend(self._ws.events())
        return self._events.pop(0)

    async def frames_until_closed(self) -> tuple[int, list[dict[str, Any]]]:
        """The text frames up to the server's close, decoded, and its close code."""
        frames: list[dict[str, Any]] = []
        while True:
            event = await self.next_event()
            if isinstance(event, CloseConnection):
                return event.code, frames
            assert isinstance(event, TextMessage), event
            frames.append(json.loads(event.data))

    def close(self) -> None:
        self._writer.close()


async def test_a_client_flooding_audio_is_held_to_a_bounded_queue_and_still_served(
    backend: Backend,
    ai_server: ScriptedAIServer,
    make_settings: Callable[..., Settings],
    data: FakeVoiceData,
) -> None:
    ai_server.stt_stream.queue(speaks("two french dinners"))
    ai_server.llm.queue(llm_answer("Which style?", order_state={"menu_code": "french"}))
    app = create_app(make_settings(ai_timeout=5.0), bus=backend.bus, voice_data=lambda *_: data)
    queues = _watch_receive_queues(app)

    async with _served(app) as port:
        client = await _Client.open(port, STREAM)
        try:
            await client.send(start_frame())
            ready = await client.next_event()
            assert isinstance(ready, TextMessage), ready
            stream_id = json.loads(ready.data)["stream_id"]
            audio = ai_audio(stream_id, tagged=backend.bus.sharded)
            for _ in range(FLOOD):
                await client.send(VOICED)

            async def paced() -> bool:
                # the pacing holds the client back: 1 s of audio through at once, then
                # real time; by 2.5 s through, the rest has long reached the server
                entries = await backend.bus.stream_read(audio, "0", count=FLOOD, block=0)
                return len(entries) >= 125

            await eventually(paced, within=WAIT + 3)
            peak = queues[0].peak
            await client.send(SILENT)
            await client.send(json.dumps({"type": "stop"}))
            code, frames = await client.frames_until_closed()
        finally:
            client.close()

    assert peak <= RECEIVE_QUEUE, f"{peak} frames held for the client at once"
    assert code == 1000
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "speech_started" and kinds[-2:] == ["final", "reply"], kinds
    assert frames[-1]["analysis"]["response"] == "Which style?"
    entries = await backend.bus.stream_read(audio, "0", count=2 * FLOOD, block=0)
    assert sum(PCM_FIELD in entry.fields for entry in entries) == FLOOD + 1
