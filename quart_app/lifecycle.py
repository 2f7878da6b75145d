"""Resources that open before the app serves and close after, in reverse order."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

from quart import Quart
from sqlalchemy.engine import make_url

from bus import Bus, make_bus
from config import Settings
from quart_app.database import Database
from quart_app.extensions import BUS, DATABASE
from quart_app.services.orders.catalog import CATALOG_SERVICE, CatalogService
from quart_app.services.orders.service import ORDER_SERVICE, OrderService
from quart_app.services.orders.users import KNOWN_STAFF, KnownStaff

log = logging.getLogger(__name__)


def open_bus(app: Quart, settings: Settings, shared: Bus | None = None) -> None:
    """Connect the bus named by ``BUS_URL`` for as long as the app serves.

    A ``shared`` bus (e.g. one ``MemoryBus`` for two app instances in a test)
    is used as it is: its owner connects and closes it.
    """

    @app.while_serving
    async def _bus() -> AsyncGenerator[None, None]:
        if shared is not None:
            app.extensions[BUS] = shared
            yield
            del app.extensions[BUS]
            return
        bus = make_bus(settings.bus_url, **_bus_options(settings))
        await bus.connect()
        app.extensions[BUS] = bus
        log.info("bus connected: %s", _without_password(settings.bus_url))
        yield
        await bus.close()
        del app.extensions[BUS]


def _bus_options(settings: Settings) -> dict[str, Any]:
    if settings.memory_bus:
        return {}
    return {
        "max_connections": settings.redis_max_connections,
        "pool_timeout": settings.redis_pool_timeout,
    }


def open_database(app: Quart, settings: Settings) -> None:
    """Open the database named by ``DATABASE_URL`` for as long as the app serves.

    Before serving, the schema is migrated to the newest revision and an empty
    catalog seeded; the catalog and order services then live beside it.
    """

    @app.while_serving
    async def _database() -> AsyncGenerator[None, None]:
        database = Database(settings.database_url)
        log.info("database: %s", _without_password(settings.database_url))
        try:
            await database.prepare()
        except BaseException:
            await database.close()
            raise
        catalog = CatalogService(database)
        services = {
            DATABASE: database,
            CATALOG_SERVICE: catalog,
            ORDER_SERVICE: OrderService(app, database, catalog),
            KNOWN_STAFF: KnownStaff(database),
        }
        app.extensions.update(services)
        yield
        await database.close()
        for name in services:
            del app.extensions[name]


def _without_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a bus URL SQLAlchemy can't parse: show only its scheme
        return url.split("://", 1)[0] + "://…"
