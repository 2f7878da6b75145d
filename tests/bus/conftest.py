"""The bus contract suite's fixtures: ``backend`` (tests/conftest.py) runs it on each bus."""

from __future__ import annotations

import pytest

from bus.base import Bus
from tests.support.bus_backends import Backend
from tests.support.redis_server import RedisServer


@pytest.fixture
def bus(backend: Backend) -> Bus:
    return backend.bus


@pytest.fixture
def server(redis_server: RedisServer) -> RedisServer:
    """A private redis-server for fault tests (``redis_server`` of tests/conftest.py)."""
    return redis_server
