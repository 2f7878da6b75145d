"""WS /api/voice/stream with the reference AI Server's stream server (its Silero VAD, an
engine that hears no words), on every bus: what a dropped socket leaves behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ai_worker.streaming.server import StreamServer
from bus.ai_messages import END_FIELD
from bus.keys import STT_STREAM, ai_audio, ai_processing
from bus.tasks import stop_tasks
from tests.support.bus_backends import Backend
from tests.support.hands_free import (
    SilentTranscriber,
    frames_of,
    frames_until,
    spoken_pcm,
    streaming,
)
from tests.support.voice_api import StartApp
from tests.support.waiting import eventually

SPEAKING = 75
"""20 ms frames: 1.5 s into "two french dinners, grand style please", mid-utterance."""


async def test_a_socket_dropped_mid_utterance_ends_the_stream_and_frees_the_worker_s_slot(
    backend: Backend, start_app: StartApp, tmp_path: Path
) -> None:
    client = await start_app(backend.bus)
    server = StreamServer(
        backend.bus,
        SilentTranscriber(),
        processing=ai_processing("test-worker", STT_STREAM),
        streams=1,
        beam_size=1,
        poll_timeout=0.1,
    )
    serving = asyncio.create_task(server.consume())
    speech = frames_of(spoken_pcm(["two french dinners, grand style please"], tmp_path))
    try:
        async with streaming(client) as ws:
            stream_id = ws.ready["stream_id"]  # type: ignore[attr-defined]
            for frame in speech[:SPEAKING]:
                await ws.send(frame)
            await frames_until(ws, "speech_started")
            assert server.serving == 1
        # the socket is gone, the customer still speaking

        async def ended() -> bool:
            entries = await backend.bus.stream_read(
                ai_audio(stream_id, tagged=backend.bus.sharded), "0", count=1000, block=0
            )
            return bool(entries) and END_FIELD in entries[-1].fields

        await eventually(ended)
        await eventually(lambda: server.serving == 0)
        # the one slot is free: a new stream is taken, not refused
        async with streaming(client) as ws:
            assert ws.ready["stream_id"] != stream_id  # type: ignore[attr-defined]
    finally:
        await stop_tasks([serving])
