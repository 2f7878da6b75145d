"""Hands-free talk end to end: espeak-ng speech streamed in 20 ms frames to
WS /api/voice/stream, recognised by the embedded reference AI Server, answered by its
rules engine, and the order placed, with no button per utterance."""

from __future__ import annotations

from pathlib import Path

from tests.support.hands_free import frames_of, frames_until, spoken_pcm, streaming
from tests.support.websockets import Serve


async def test_an_order_then_yes_spoken_hands_free_places_the_order(
    serve: Serve, tmp_path: Path
) -> None:
    speech = spoken_pcm(["two french dinners, grand style please", "yes"], tmp_path)

    async with serve(ai_worker="embedded") as app, streaming(app.test_client()) as ws:
        for frame in frames_of(speech):
            await ws.send(frame)
        first = await frames_until(ws, "reply", within=120)
        second = await frames_until(ws, "reply", within=120)

    kinds = [frame["type"] for frame in first]
    assert kinds[0] == "speech_started"
    final = next(frame for frame in first if frame["type"] == "final")
    assert "french" in final["text"].lower()
    assert first[-1]["analysis"]["state"] == "confirmation", first[-1]
    assert "yes" in next(f for f in second if f["type"] == "final")["text"].lower()
    answer = second[-1]["analysis"]
    assert answer["state"] == "completed", answer
    assert answer["order_id"]
