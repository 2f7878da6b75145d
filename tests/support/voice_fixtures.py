"""Fixtures for tests through the voice API: the app on each bus (``backend``), a scripted
AI Server, fake data. A package's ``conftest.py`` imports the ones its tests use
(``tests/voice``, ``tests/ratelimit``, ``tests/media``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from bus.base import Bus
from config import Settings
from quart_app import create_app
from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend, open_backend
from tests.support.voice_api import FakeVoiceData, StartApp


@pytest.fixture
async def memory_backend(redis_url: str) -> AsyncIterator[Backend]:
    """The memory bus only, for tests of input handling that no bus changes."""
    async with open_backend("memory", redis_url) as made:
        yield made


@pytest.fixture
def data() -> FakeVoiceData:
    return FakeVoiceData()


@pytest.fixture
async def ai_server(backend: Backend) -> AsyncIterator[ScriptedAIServer]:
    scripted = ScriptedAIServer(backend.bus)
    await scripted.start()
    yield scripted
    await scripted.stop()


@pytest.fixture
async def start_app(
    make_settings: Callable[..., Settings], data: FakeVoiceData
) -> AsyncIterator[StartApp]:
    """``await start_app(bus, **settings)``: a serving app instance on ``bus``, its client."""
    async with AsyncExitStack() as stack:

        async def start(bus: Bus, **overrides: Any) -> QuartClient:
            settings = make_settings(**{"ai_timeout": 5.0, **overrides})
            app: Quart = create_app(settings, bus=bus, voice_data=lambda *_: data)
            serving: Any = await stack.enter_async_context(app.test_app())  # type: ignore[arg-type]
            client: QuartClient = serving.test_client()
            return client

        yield start


@pytest.fixture
async def client(backend: Backend, ai_server: ScriptedAIServer, start_app: StartApp) -> QuartClient:
    """One app instance on ``backend``, with the scripted AI Server running."""
    return await start_app(backend.bus)
