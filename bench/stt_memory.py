"""Peak memory of the service per ``POST /api/voice/stt`` upload, as a multiple of its size.

Runs ``python -m quart_app`` (hypercorn, one worker) on Redis with the testing
kit's scripted AI Server in this process answering every STT request at once
(``tests/support/ai_server.py``), uploads files of
``--mib`` MiB, and reads the worker's peak resident memory (``VmHWM``, reset
before each upload through ``/proc/<pid>/clear_refs``) against its resident
memory just before. ``--code DIR`` runs the server from another checkout (an
older commit, for a before/after figure). Linux only; uses Redis db ``--redis``
(its ``ai:queue:stt`` is consumed).

    python -m bench.stt_memory --mib 25 --uploads 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import SECRET, wait_until_listening
from bus.redis import RedisBus
from tests.support.ai_server import answering
from tests.support.ports import free_port
from tests.support.served import hypercorn_worker

MIB = 1024 * 1024


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for {pid}")


def _answer_stt(redis_url: str, stop: threading.Event) -> None:
    """Every STT request answered "ok" at once, until ``stop`` is set."""
    asyncio.run(_serve_stt(redis_url, stop))


async def _serve_stt(redis_url: str, stop: threading.Event) -> None:
    bus = RedisBus(redis_url)
    await bus.connect()
    async with answering(bus, {"text": "ok", "language": "en"}, kind="stt"):
        await asyncio.to_thread(stop.wait)
    await bus.close()


def _upload(base: str, path: Path) -> None:
    with path.open("rb") as audio:
        response = httpx.post(
            f"{base}/api/voice/stt",
            files={"audio": ("clip.wav", audio, "audio/wav")},
            timeout=120,
        )
    response.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--mib", type=int, default=25)
    parser.add_argument("--uploads", type=int, default=3)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="stt-memory-"))
    clip, warm_up = folder / "clip.wav", folder / "warm-up.wav"
    clip.write_bytes(os.urandom(args.mib * MIB))
    warm_up.write_bytes(os.urandom(MIB))
    port = free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(args.code),
        BUS_URL=args.redis,
        AI_WORKER="external",
        DATABASE_URL=f"sqlite+aiosqlite:///{folder}/bench.db",
        MEDIA_DIR=str(folder / "media"),
        SECRET_KEY=SECRET,
        LOG_LEVEL="WARNING",
        MAX_AUDIO_BYTES=str((args.mib + 1) * MIB),
    )
    stop = threading.Event()
    answering = threading.Thread(target=_answer_stt, args=(args.redis, stop), daemon=True)
    answering.start()
    server = subprocess.Popen(
        [sys.executable, "-m", "quart_app", "--port", str(port)], env=env, cwd=args.code
    )
    try:
        wait_until_listening(port, server, within=60)
        base = f"http://127.0.0.1:{port}"
        _upload(base, warm_up)
        worker = hypercorn_worker(server.pid)
        ratios = []
        for _ in range(args.uploads):
            time.sleep(0.5)
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # resets VmHWM
            before = _status(worker, "VmRSS")
            _upload(base, clip)
            grown = _status(worker, "VmHWM") - before
            ratios.append(grown / (args.mib * MIB))
            print(f"upload of {args.mib} MiB: peak +{grown / MIB:.1f} MiB = {ratios[-1]:.2f}x")
        print(f"code {args.code}: median peak growth {sorted(ratios)[len(ratios) // 2]:.2f}x")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        stop.set()
        answering.join(timeout=5)


if __name__ == "__main__":
    main()
