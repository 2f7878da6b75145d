"""Fixtures shared by every test area: the real Redis and PostgreSQL, apps, buses, databases.

Helpers that are not fixtures live in ``tests/support``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from blinker import NamedSignal
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from quart import Quart
from quart.testing import QuartClient
from quart.typing import TestWebsocketConnectionProtocol as WsConnection

from bus import Bus
from config import Settings, load_settings
from quart_app import create_app
from quart_app.database import Database
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.service import OrderService
from tests.support.bus_backends import Backend, chosen_backend, open_backend
from tests.support.databases import empty_database
from tests.support.redis_cluster import RedisClusterProcesses
from tests.support.redis_server import RedisServer
from tests.support.signals import Recorder
from tests.support.tokens import SECRET
from tests.support.websockets import Connect, Serve, auth_frame, receive

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


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A private ``redis-server`` the test may stop and start, stopped at the end."""
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def redis_cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RedisClusterProcesses]:
    """A Redis Cluster (3 masters, 3 replicas) for the session; tests that kill or
    reshard nodes start their own."""
    cluster = RedisClusterProcesses(tmp_path_factory.mktemp("redis-cluster"))
    try:
        await cluster.start()
        yield cluster
    finally:
        await cluster.stop()


@pytest.fixture(
    params=[
        "memory",
        "fakeredis",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("cluster", marks=pytest.mark.redis_cluster),
    ]
)
def backend_choice(request: pytest.FixtureRequest, redis_url: str) -> tuple[str, str]:
    """Which backend ``backend`` opens, and the URL of its Redis; the session's cluster
    starts only for a test that runs on it."""
    return chosen_backend(request, redis_url)


@pytest.fixture
async def backend(backend_choice: tuple[str, str]) -> AsyncIterator[Backend]:
    """Each test that takes it runs on the memory bus, fakeredis, the real Redis and a
    Redis Cluster."""
    async with open_backend(*backend_choice) as made:
        yield made


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


@pytest.fixture
def serve(make_settings: Callable[..., Settings]) -> Serve:
    """``async with serve(bus=..., **settings) as app``: an app instance, serving."""

    @asynccontextmanager
    async def serving(*, bus: Bus | None = None, **overrides: Any) -> AsyncIterator[Quart]:
        app = create_app(make_settings(**overrides), bus=bus)
        async with app.test_app():
            yield app

    return serving


@pytest.fixture
def connect() -> Connect:
    """``async with connect(app, user_id, role) as ws``: a socket past its ``connected`` frame."""

    @asynccontextmanager
    async def connecting(
        app: Quart, user_id: str, role: str, *, last_event_id: str | None = None
    ) -> AsyncIterator[WsConnection]:
        async with app.test_client().websocket("/api/ws") as ws:
            await ws.send(auth_frame(user_id, role, last_event_id=last_event_id))
            connected = await receive(ws)
            assert connected["type"] == "connected", connected
            yield ws

    return connecting


# The order data tests and the orders API tests run on SQLite and the real PostgreSQL
# (``database_url``). Each starts from an empty database (no tables, no
# ``alembic_version``), so migrations run from scratch every time. PostgreSQL is
# required: if it is unreachable these tests fail, they do not skip.


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The database, migrated and seeded as the app does at start."""
    database = Database(database_url)
    await database.prepare(demo_users=True)
    yield database
    await database.close()


@pytest.fixture
def catalog_service(database: Database) -> CatalogService:
    return CatalogService(database)


@pytest.fixture
async def data_app(
    make_settings: Callable[..., Settings], database_url: str
) -> AsyncIterator[Quart]:
    """The whole app, serving, on this test's database."""
    async with create_app(make_settings(database_url=database_url)).test_app() as test_app:
        yield test_app.app


@pytest.fixture
def data_client(data_app: Quart) -> QuartClient:
    return data_app.test_client()


@pytest.fixture
def order_service(data_app: Quart) -> OrderService:
    service: OrderService = data_app.extensions["order_service"]
    return service


@pytest.fixture
def record(order_service: OrderService) -> Iterator[Callable[[NamedSignal], Recorder]]:
    """Connect a :class:`Recorder` to a signal of the app's order service, disconnected after
    the test."""
    connected: list[tuple[NamedSignal, Recorder]] = []

    def connect(signal: NamedSignal) -> Recorder:
        recorder = Recorder()
        signal.connect(recorder, sender=order_service, weak=False)
        connected.append((signal, recorder))
        return recorder

    yield connect
    for signal, recorder in connected:
        signal.disconnect(recorder, sender=order_service)
