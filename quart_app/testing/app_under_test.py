"""The app under test: the memory bus, a temporary SQLite database, the scripted AI Server.

:func:`serve_for_tests` builds the app with :func:`quart_app.create_app` (the
team's blueprints added), opens it as hypercorn would (``app.test_app()`` runs
``before_serving``: the database is migrated and the demo catalog, promotions
and users are seeded), and starts a :class:`ScriptedAIServer` on the same bus.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from quart import Blueprint, Quart
from quart.typing import TestClientProtocol, TestWebsocketConnectionProtocol

from bus.memory import MemoryBus
from config import Settings, load_settings, secret_key_of
from domain.orders import Role
from quart_app.app import create_app
from quart_app.extensions import SETTINGS
from quart_app.testing.ai_server import WAIT, ScriptedAIServer
from quart_app.testing.tokens import Tokens

Client: TypeAlias = TestClientProtocol
"""The type of a test client: Quart's own name for it starts with ``Test``, which pytest
would take for a test class in any test module that imports it."""

SECRET_KEY = "voice-realtime-testing-key-never-used-in-production"
"""The key the app under test signs and checks tokens with."""
HEARTBEAT_INTERVAL = 60.0
"""Seconds between socket heartbeats: longer than a test, so frames are what the test caused."""


def settings_for_tests(directory: Path, **overrides: Any) -> Settings:
    """Settings for an app under test, its files under ``directory``; ``overrides`` win.

    The memory bus, a SQLite file, media in a folder, :data:`SECRET_KEY`, no
    embedded AI worker (the scripted AI Server answers) and a 5 s AI timeout.
    Settings the environment sets and ``overrides`` do not are read as usual.
    """
    values: dict[str, Any] = {
        "bus_url": "memory://",
        "database_url": f"sqlite+aiosqlite:///{directory / 'service.db'}",
        "media_dir": directory / "media",
        "secret_key": SECRET_KEY,
        "ai_worker": "external",
        "ai_timeout": 5.0,
        "heartbeat_interval": HEARTBEAT_INTERVAL,
    }
    return load_settings(**{**values, **overrides})


@dataclass
class Socket:
    """A signed-in WebSocket on ``/api/ws``; frames come back decoded."""

    connection: TestWebsocketConnectionProtocol
    connected: dict[str, Any] = field(default_factory=dict)
    """The server's ``connected`` frame (the position to resume from included)."""
    frames: list[dict[str, Any]] = field(default_factory=list)
    """Every frame received since ``connected``, heartbeats left out."""

    async def receive(self, within: float = WAIT) -> dict[str, Any]:
        """The next frame that is not a heartbeat; ``TimeoutError`` after ``within`` s."""
        async with asyncio.timeout(within):
            while True:
                frame: dict[str, Any] = json.loads(await self.connection.receive())
                if frame["type"] != "heartbeat":
                    self.frames.append(frame)
                    return frame

    async def wait_for(self, frame_type: str, within: float = WAIT) -> dict[str, Any]:
        """The next frame of ``frame_type`` (``order.created``, ...), skipping other frames."""
        async with asyncio.timeout(within):
            while True:
                frame = await self.receive(within)
                if frame["type"] == frame_type:
                    return frame

    async def send(self, frame: dict[str, Any]) -> None:
        """Send ``frame`` as JSON text."""
        await self.connection.send(json.dumps(frame))


@dataclass
class AppUnderTest:
    """A serving app, the scripted AI Server on its bus, and tokens it accepts."""

    app: Quart
    ai_server: ScriptedAIServer
    tokens: Tokens

    def client(self) -> Client:
        """A test client of the app (``await client.get(...)``, ``client.websocket(...)``)."""
        return self.app.test_client()

    @asynccontextmanager
    async def socket(
        self, user_id: str, role: str | Role, *, last_event_id: str | None = None
    ) -> AsyncIterator[Socket]:
        """A WebSocket signed in as ``user_id`` in ``role``, past its ``connected`` frame."""
        async with self.client().websocket("/api/ws") as connection:
            socket = Socket(connection)
            await socket.send(
                {
                    "type": "auth",
                    "user_id": user_id,
                    "user_type": Role(role).value,
                    "token": self.tokens.mint(user_id, role),
                    "last_event_id": last_event_id,
                }
            )
            socket.connected = await socket.receive()
            socket.frames.clear()
            if socket.connected["type"] != "connected":
                raise RuntimeError(f"the socket was refused: {socket.connected}")
            yield socket


@asynccontextmanager
async def serve_for_tests(
    directory: Path, *, blueprints: Iterable[Blueprint] = (), **settings: Any
) -> AsyncIterator[AppUnderTest]:
    """Serve the app with ``blueprints`` added, on :func:`settings_for_tests` (``settings`` win).

    The bus, the app and the scripted AI Server stop when the block ends.
    """
    built = settings_for_tests(directory, **settings)
    bus = MemoryBus()
    await bus.connect()
    try:
        app = create_app(built, bus=bus, blueprints=blueprints)
        async with ScriptedAIServer(bus) as ai_server, app.test_app():
            # The key the app resolved, whatever ``settings`` said about it.
            tokens = Tokens(secret_key_of(app.extensions[SETTINGS]))
            yield AppUnderTest(app, ai_server, tokens)
    finally:
        await bus.close()
