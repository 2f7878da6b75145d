"""Hands-free against push-to-talk: how long after the customer's last word each answers.

One app instance with the embedded reference AI Server (memory bus, the bundled
Whisper model). Each espeak-ng sentence is said both ways, in the same run:

- hands-free: streamed to ``WS /api/voice/stream`` at real-time pace in 20 ms
  frames, then silence; timed from the last voiced frame sent to the ``final``
  and to the ``reply``;
- push-to-talk: the whole clip uploaded to ``POST /api/voice/stt`` then its text
  to ``POST /api/voice/analyze``, timed from the upload (the customer let go
  of the button) to the answer.

    python -m bench.streaming --sentences 6

A reduced run, not the issue's full measure (the spoken corpus, noise,
partial rate and capacity are not measured here): see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import tempfile
import time
import wave
from pathlib import Path

from bench.common import bench_settings
from quart_app import create_app
from tests.support.dialogue_run import speak
from tests.support.hands_free import frames_of, start_frame

SENTENCES = [
    "Two French dinners, grand style please",
    "One valentine dinner, simple style",
    "Three English dinners please",
    "I would like the champagne feast, deluxe style",
    "One French dinner in grand style",
    "Two valentine dinners, deluxe style please",
]
FRAME = 640  # 20 ms


def _pcm(clip: bytes) -> bytes:
    with wave.open(io.BytesIO(clip)) as reader:
        return reader.readframes(reader.getnframes())


def _last_voiced(frames: list[bytes]) -> int:
    """Index of the last frame with a sample above a quiet floor."""
    for index in range(len(frames) - 1, -1, -1):
        samples = memoryview(frames[index]).cast("h")
        if max(abs(s) for s in samples) > 500:
            return index
    return 0


async def _hands_free(client: object, pcm: bytes) -> tuple[float, float]:
    frames = frames_of(pcm + bytes(32_000 * 2))  # the sentence, then 2 s of silence
    last = _last_voiced(frames)
    final_at = reply_at = spoke_at = 0.0
    async with client.websocket("/api/voice/stream") as ws:  # type: ignore[attr-defined]
        await ws.send(start_frame())
        await ws.receive()  # ready
        started = time.monotonic()

        async def send() -> None:
            nonlocal spoke_at
            for index, frame in enumerate(frames):
                await asyncio.sleep(max(0.0, started + index * 0.02 - time.monotonic()))
                await ws.send(frame)
                if index == last:
                    spoke_at = time.monotonic()

        sending = asyncio.create_task(send())
        while not reply_at:
            frame = json.loads(await ws.receive())
            if frame["type"] == "final":
                final_at = time.monotonic()
            elif frame["type"] == "reply":
                reply_at = time.monotonic()
        await sending
    return final_at - spoke_at, reply_at - spoke_at


async def _push_to_talk(client: object, clip: bytes) -> float:
    from werkzeug.datastructures import FileStorage

    started = time.monotonic()
    upload = FileStorage(io.BytesIO(clip), filename="clip.wav", content_type="audio/wav")
    heard = await client.post(  # type: ignore[attr-defined]
        "/api/voice/stt", files={"audio": upload}, form={"language": "en"}
    )
    text = (await heard.get_json())["text"]
    answer = await client.post(  # type: ignore[attr-defined]
        "/api/voice/analyze", json={"transcript": text, "user_id": None, "session_id": None}
    )
    assert answer.status_code == 200, await answer.get_json()
    return time.monotonic() - started


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(count: int) -> None:
    settings = bench_settings("bench-streaming-", ai_worker="embedded", rate_limits_enabled=False)
    app = create_app(settings)
    folder = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    finals, replies, clips = [], [], []
    async with app.test_app() as serving:
        client = serving.test_client()
        await _push_to_talk(client, speak("hello", "en-us", 150, folder)[0])  # loads the model
        for sentence in SENTENCES[:count]:
            clip, _ = speak(sentence, "en-us", 150, folder)
            final, reply = await _hands_free(client, _pcm(clip))
            finals.append(final)
            replies.append(reply)
            clips.append(await _push_to_talk(client, clip))
    for name, values in (
        ("hands-free, last word -> final", finals),
        ("hands-free, last word -> reply", replies),
        ("push-to-talk, release -> reply", clips),
    ):
        print(f"{name}: p50 {statistics.median(values):.2f} s, p95 {_p(values, 0.95):.2f} s")
    ratio = statistics.median(replies) / statistics.median(clips)
    print(f"hands-free reply p50 / push-to-talk p50: {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=6)
    asyncio.run(main(parser.parse_args().sentences))
