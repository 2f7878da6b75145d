"""SIGTERM to a real ``voice-realtime serve``: work in hand is answered, sockets get 1001."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bus.keys import ai_queue
from quart_app.services.auth.tokens import mint_token
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.slow

SECRET = "graceful-stop-secret-key-long-enough-0123456"
AI_TIMEOUT = 3
IN_FLIGHT = 5
WAIT = 30.0
TURN = {"transcript": "Two French dinners, grand style please", "user_id": None, "session_id": None}


@pytest.fixture(params=[1, 2], ids=["one worker", "two workers"])
async def server(
    request: pytest.FixtureRequest, tmp_path: Path, redis_server: RedisServer
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """``voice-realtime serve`` on a free port, whose AI Server never answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BUS_", "DATABASE_"))}
    env.update(
        BUS_URL=redis_server.url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/service.db",
        MEDIA_DIR=str(tmp_path / "media"),
        SECRET_KEY=SECRET,
        AI_WORKER="external",
        AI_TIMEOUT=str(AI_TIMEOUT),
        SHUTDOWN_GRACE="15",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "quart_app", "--port", str(port), "--workers", str(request.param),
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        await _until_healthy(base, process)
        yield process, base
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _until_healthy(base: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(60):
        while True:
            assert process.returncode is None, "the server exited while starting"
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.1)


async def _first_refusal(client: httpx.AsyncClient, base: str) -> httpx.Response:
    """The first answer to a new request that the server doesn't serve. With two workers
    the sockets' 1001 shows that one of them is stopping; a request can still reach the
    other before it has read its SIGTERM, and that one serves it."""
    async with asyncio.timeout(WAIT):
        while True:
            response = await client.get(f"{base}/api/menus")
            if response.status_code != 200:
                return response
            await asyncio.sleep(0.05)


async def _socket(base: str, user_id: str, role: str) -> ClientConnection:
    ws = await connect(base.replace("http", "ws") + "/api/ws")
    token = mint_token(SECRET, user_id, role)
    await ws.send(json.dumps({"type": "auth", "user_id": user_id, "user_type": role,
                              "token": token, "last_event_id": None}))  # fmt: skip
    assert json.loads(await asyncio.wait_for(ws.recv(), WAIT))["type"] == "connected"
    return ws


async def _close_code(ws: ClientConnection) -> int | None:
    async with asyncio.timeout(WAIT):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


async def test_sigterm_answers_work_in_hand_refuses_new_work_and_closes_sockets_1001(
    server: tuple[asyncio.subprocess.Process, str], redis_server: RedisServer
) -> None:
    process, base = server
    sockets = [await _socket(base, f"cook-{n}", "cook") for n in range(3)]
    async with (
        httpx.AsyncClient(timeout=WAIT) as client,
        Redis.from_url(redis_server.url) as redis,
    ):
        turns = [
            asyncio.create_task(client.post(f"{base}/api/voice/analyze", json=TURN))
            for _ in range(IN_FLIGHT)
        ]
        async with asyncio.timeout(WAIT):  # every turn is read and waits for the AI Server
            while True:
                if await redis.llen(ai_queue("llm")) == IN_FLIGHT:
                    break
                await asyncio.sleep(0.05)

        process.send_signal(signal.SIGTERM)
        codes = await asyncio.gather(*(_close_code(ws) for ws in sockets))
        # While the turns finish, a new request (on a kept-alive connection too) is refused.
        refused = await _first_refusal(client, base)
        answered = await asyncio.gather(*turns)

    assert codes == [1001] * len(sockets)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "shutting_down"
    assert refused.headers["retry-after"] == "1"
    assert [turn.status_code for turn in answered] == [504] * IN_FLIGHT  # the AI's timeout
    assert await asyncio.wait_for(process.wait(), WAIT) == 0
    assert process.stderr is not None
    errors = (await process.stderr.read()).decode()
    assert "ERROR" not in errors and "Traceback" not in errors, errors
