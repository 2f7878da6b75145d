"""The WebSocket tests' app: one instance on the memory bus (``serve`` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart import Quart

from tests.support.websockets import Serve


@pytest.fixture
async def app(serve: Serve) -> AsyncIterator[Quart]:
    """One instance on the memory bus, with heartbeats too slow to show up in a test."""
    async with serve(heartbeat_interval=60) as serving:
        yield serving
