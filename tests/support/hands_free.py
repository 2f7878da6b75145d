"""Hands-free tests' helpers: PCM frames and a client of ``WS /api/voice/stream``."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from quart.testing import QuartClient
from quart.testing.connections import WebsocketDisconnectError
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from quart_app.testing import ScriptedAIServer, speaks
from tests.support.dialogue_run import speak
from tests.support.voice_api import confirmed, confirming
from tests.support.waiting import WAIT

STREAM = "/api/voice/stream"
FRAME_BYTES = 640
"""20 ms of 16 kHz 16-bit mono."""
VOICED = b"\x10\x00" * (FRAME_BYTES // 2)
SILENT = bytes(FRAME_BYTES)


def start_frame(**fields: Any) -> str:
    """A start frame; a guest's new conversation in English unless ``fields`` say otherwise."""
    frame = {"type": "start", "token": None, "session_id": None, "language": "en"}
    frame["sample_rate"] = 16000
    return json.dumps(frame | fields)


async def receive(ws: WsConnection, within: float = WAIT) -> dict[str, Any]:
    """The next text frame, decoded; ``TimeoutError`` after ``within`` s."""
    frame = await asyncio.wait_for(ws.receive(), within)
    assert isinstance(frame, str), frame
    decoded: dict[str, Any] = json.loads(frame)
    return decoded


async def frames_until(ws: WsConnection, kind: str, within: float = WAIT) -> list[dict[str, Any]]:
    """Every frame up to and including the first of type ``kind``."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while not seen or seen[-1]["type"] != kind:
            seen.append(await receive(ws, within))
    return seen


async def closed_with(ws: WsConnection, within: float = WAIT) -> tuple[int, list[dict[str, Any]]]:
    """The close code, and the frames sent before it."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while True:
            try:
                frame = await ws.receive()
            except WebsocketDisconnectError as closed:
                code: int = closed.args[0]
                return code, seen
            assert isinstance(frame, str), frame
            seen.append(json.loads(frame))


async def pinging_until_closed(
    ws: WsConnection, every: float, within: float = WAIT
) -> tuple[int, list[dict[str, Any]]]:
    """Send a ``ping`` every ``every`` s (each answer awaited) until the server closes;
    the close code and the frames sent before it."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while True:
            await ws.send(json.dumps({"type": "ping"}))
            try:
                seen.append(await receive(ws))
            except WebsocketDisconnectError as closed:
                code: int = closed.args[0]
                return code, seen
            if seen[-1]["type"] != "pong":
                break
            await asyncio.sleep(every)
    code, rest = await closed_with(ws, within)
    return code, seen + rest


@asynccontextmanager
async def streaming(client: QuartClient, **start: Any) -> AsyncIterator[WsConnection]:
    """A socket past its ``ready`` frame (kept as ``ws.ready``)."""
    async with client.websocket(STREAM) as ws:
        await ws.send(start_frame(**start))
        ready = await receive(ws)
        assert ready["type"] == "ready", ready
        ws.ready = ready  # type: ignore[attr-defined]
        yield ws


async def say_words(ws: WsConnection, voiced_frames: int = 3) -> None:
    """One utterance as the scripted AI Server hears it: voiced frames, then silence."""
    for _ in range(voiced_frames):
        await ws.send(VOICED)
    await ws.send(SILENT)


def script_an_order(ai_server: ScriptedAIServer) -> None:
    """The scripted AI Server hears an order, then a yes, and brings the conversation to
    confirmation, then to place the order (what :func:`say_an_order_then_yes` says)."""
    ai_server.stt_stream.queue(speaks("french grand", "yes"))
    ai_server.llm.queue(confirming(), confirmed())


async def say_an_order_then_yes(ws: WsConnection, answered: str = "reply") -> list[dict[str, Any]]:
    """Two utterances: the first answered at confirmation, then the yes; the frames up to
    the yes's ``answered`` frame (``reply``, or ``error`` for a yes that is refused)."""
    await say_words(ws)
    assert (await frames_until(ws, "reply"))[-1]["analysis"]["state"] == "confirmation"
    await say_words(ws)
    return await frames_until(ws, answered)


def spoken_pcm(lines: list[str], directory: Path, *, gap: float = 1.5) -> bytes:
    """``lines`` said by espeak-ng, each followed by ``gap`` s of silence, as raw 16 kHz
    16-bit mono PCM (what a kiosk streams)."""
    pcm = b""
    for line in lines:
        clip, _ = speak(line, "en-us", 150, directory)
        with wave.open(io.BytesIO(clip)) as reader:
            pcm += reader.readframes(reader.getnframes())
        pcm += bytes(int(gap * 16_000) * 2)
    return pcm


def frames_of(pcm: bytes, milliseconds: int = 20) -> list[bytes]:
    """``pcm`` cut into frames of ``milliseconds`` (the last one padded with silence)."""
    size = milliseconds * 32
    frames = [pcm[start : start + size] for start in range(0, len(pcm), size)]
    if frames and len(frames[-1]) < size:
        frames[-1] = frames[-1].ljust(size, b"\x00")
    return frames


class SilentTranscriber:
    """A speech engine of the reference AI Server that hears no words, at once: the
    stream's Silero VAD still finds the speech (``speech_started``, a ``final`` with
    no text). Also an engine (``run``, ``close``), to stand as a worker's ``stt``."""

    def transcribe_samples(self, *_: Any, **__: Any) -> tuple[str, str | None]:
        return "", None

    def transcribe_partials(self, requests: Sequence[Any]) -> list[tuple[str, str | None]]:
        return [("", None)] * len(requests)

    async def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"text": "", "language": None}

    async def close(self) -> None:
        pass
