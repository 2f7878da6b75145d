"""``POST /api/voice/analyze`` under hypercorn against a plain pydantic endpoint.

Each app runs alone in a hypercorn process (one worker, same settings); a
load generator in this process keeps ``--connections`` keep-alive connections
busy for ``--seconds`` after a warm-up, each connection carrying one
conversation (its first request starts a session, the rest continue it), and
reports requests/s and latency percentiles, and the service's ratio to the
plain endpoint measured in the same run.

    python -m bench.voice_analyze --connections 64 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import wait_until_listening
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/voice/analyze"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes
) -> tuple[int, bytes]:
    writer.write(
        b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json"
        b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


async def _connection(port: int, stop_at: float, measure_from: float, result: Result) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    session_id = None
    try:
        while (now := time.perf_counter()) < stop_at:
            body = json.dumps({"transcript": "hello, what do you have?", "session_id": session_id})
            status, answer = await _request(reader, writer, body.encode())
            done = time.perf_counter()
            if status != 200:
                result.errors += 1
            elif session_id is None:
                session_id = json.loads(answer)["session_id"]
            if now >= measure_from:
                result.requests += 1
                result.latencies.append(done - now)
    finally:
        writer.close()


async def _load(name: str, port: int, connections: int, warmup: float, seconds: float) -> Result:
    result = Result(name, 0, seconds, [], 0)
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    await asyncio.gather(
        *(_connection(port, stop_at, measure_from, result) for _ in range(connections))
    )
    return result


def _measure(name: str, factory: str, args: argparse.Namespace, folder: str) -> Result:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_DIR": folder}
    command = [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", factory]
    with subprocess.Popen(command, cwd=ROOT, env=env) as server:
        try:
            wait_until_listening(port, server)
            return asyncio.run(_load(name, port, args.connections, args.warmup, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as folder:
        plain = _measure("plain pydantic endpoint", "bench.voice_apps:plain_app()", args, folder)
        voice = _measure("/api/voice/analyze", "bench.voice_apps:analyze_app()", args, folder)
    print(f"{args.connections} connections, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up")
    print("| endpoint | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for result in (plain, voice):
        print(
            f"| {result.name} | {result.rate:,.0f} | {result.percentile(0.5):.1f} "
            f"| {result.percentile(0.99):.1f} | {result.errors} |"
        )
    print(
        f"ratio: requests/s {voice.rate / plain.rate:.2f}x, "
        f"p99 {voice.percentile(0.99) / plain.percentile(0.99):.2f}x of the plain endpoint"
    )


if __name__ == "__main__":
    main()
