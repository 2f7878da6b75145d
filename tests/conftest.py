"""Fixtures shared by every test area: where the real Redis and PostgreSQL are."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from quart import Quart
from quart.testing import QuartClient
from sqlalchemy import text

from config import Settings, load_settings
from quart_app import create_app
from quart_app.auth import mint_token
from quart_app.database import Database
from quart_app.models import Base
from tests.bus.redis_server import RedisServer

# Property tests check rules, not speed: a per-example deadline only measures how loaded
# the machine is (a busy CI core made them fail with DeadlineExceeded).
hypothesis_settings.register_profile(
    "suite", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("suite")

# CI and developers run the suite against the real services on this machine.
# Separate databases let several suites run side by side without clobbering.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> str:
    """The URL of an empty database: a new SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/data.db"
    await empty_database(postgres_url)
    return postgres_url


async def empty_database(url: str) -> None:
    """Drop every table of the service and Alembic's version table."""
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await database.close()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A private ``redis-server`` the test may stop and start, stopped at the end."""
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


SECRET = "test-secret-key-that-is-long-enough-for-hs256"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for one test: a fresh SQLite file and media dir, a known secret."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path}/service.db",
            "media_dir": tmp_path / "media",
            "secret_key": SECRET,
            "bus_url": "memory://",
            "ai_worker": "external",
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
async def app(make_settings: Callable[..., Settings]) -> AsyncIterator[Quart]:
    """The app, serving (before_serving ran), on the memory bus and SQLite."""
    async with create_app(make_settings()).test_app() as test_app:
        yield test_app.app


@pytest.fixture
def client(app: Quart) -> QuartClient:
    return app.test_client()


def bearer(user_id: str, role: str, *, secret: str = SECRET, ttl: float = 3600) -> dict[str, str]:
    """An Authorization header for ``user_id`` in ``role``."""
    return {"Authorization": f"Bearer {mint_token(secret, user_id, role, ttl=ttl)}"}
