"""What opens before the app serves and closes after.

The bus, the database (with the catalog, order and known-staff services), the media store,
the realtime fan-out (with the order outbox's relay), the voice services and
(if enabled) the rate limiter:
each opens in that order, hands the next what it needs, and closes in reverse
after serving (or at once, if a later one fails to open). What views need is
put on ``app.extensions`` (keys in :mod:`quart_app.extensions`) while the app
serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from quart import Quart
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bus import Bus, BusMisconfigured, make_bus
from bus.ai import AIRequester
from config import AIWorkerMode, ConfigError, Environment, Settings
from config.settings import MediaStoreKind
from quart_app.database import Database
from quart_app.extensions import (
    BUS,
    CATALOG_SERVICE,
    DATABASE,
    KNOWN_STAFF,
    MEDIA_STORE,
    ORDER_SERVICE,
    RATE_LIMITER,
    VOICE,
    WEBSOCKET_MANAGER,
)
from quart_app.models import OrderItem
from quart_app.rate_limit_hook import budgets
from quart_app.services.auth.tokens import TokenKeys
from quart_app.services.media.blobs import Blobs, DatabaseBlobs, DirectoryBlobs
from quart_app.services.media.retention import sweep_forever
from quart_app.services.media.store import MediaStore
from quart_app.services.orders.catalog import CatalogService
from quart_app.services.orders.outbox import Outbox, OutboxRelay
from quart_app.services.orders.service import OrderService
from quart_app.services.orders.users import KnownStaff
from quart_app.services.ratelimit.limiter import RateLimiter, storage_for
from quart_app.services.realtime.manager import WebSocketManager
from quart_app.services.voice.ai_client import AIClient
from quart_app.services.voice.analyze import VoiceService
from quart_app.services.voice.data_source import VoiceData, VoiceDataFactory
from quart_app.services.voice.hands_free import HandsFree, StreamLimits
from quart_app.services.voice.runtime import VoiceRuntime
from quart_app.services.voice.sessions import SessionStore

log = logging.getLogger(__name__)

LOCK_WAIT_MARGIN = 1.0
"""A request on a busy conversation waits as long as one turn may take (the AI
timeout) and this much more, then gets 409 ``session_busy``."""


def open_resources(
    app: Quart,
    settings: Settings,
    token_keys: TokenKeys,
    *,
    shared_bus: Bus | None,
    voice_data: VoiceDataFactory,
) -> None:
    """Open every resource for as long as ``app`` serves (see the module's docstring).

    A ``shared_bus`` (e.g. one ``MemoryBus`` for two app instances in a test)
    is used as it is: its owner connects and closes it.
    """

    @app.while_serving
    async def _serve() -> AsyncGenerator[None, None]:
        async with AsyncExitStack() as stack:

            def keep(name: str, resource: Any) -> None:
                app.extensions[name] = resource
                stack.callback(app.extensions.pop, name, None)

            bus = shared_bus
            if bus is None:
                bus = await stack.enter_async_context(_bus(settings))
            keep(BUS, bus)
            database = await stack.enter_async_context(_database(settings))
            catalog = CatalogService(database)
            outbox = Outbox()
            orders = OrderService(database, catalog, outbox=outbox)
            keep(DATABASE, database)
            keep(CATALOG_SERVICE, catalog)
            keep(ORDER_SERVICE, orders)
            known_staff = KnownStaff(database)
            keep(KNOWN_STAFF, known_staff)
            stack.push_async_callback(known_staff.close)
            keep(MEDIA_STORE, await stack.enter_async_context(_media(database, settings)))
            realtime = _realtime(bus, database, outbox, settings, token_keys)
            keep(WEBSOCKET_MANAGER, await stack.enter_async_context(realtime))
            data = voice_data(database, catalog, orders)
            keep(VOICE, await stack.enter_async_context(_voice(bus, data, settings)))
            if settings.rate_limits_enabled:
                limits = {budget.name: budget.limit for budget in budgets(settings).values()}
                limiter = RateLimiter(storage_for(bus), limits)
                keep(RATE_LIMITER, limiter)
                stack.push_async_callback(limiter.close)
            yield


@asynccontextmanager
async def _bus(settings: Settings) -> AsyncIterator[Bus]:
    bus = await connected_bus(settings)
    log.info("bus connected: %s", _without_password(settings.bus_url))
    try:
        yield bus
    finally:
        await bus.close()


async def connected_bus(settings: Settings) -> Bus:
    """The bus of ``BUS_URL``, connected; :class:`ConfigError` (one line naming
    ``BUS_URL``) when the URL names the wrong kind of server, the bus's own error
    when it can't be reached."""
    bus = make_bus(settings.bus_url, **_bus_options(settings))
    try:
        await bus.connect()
    except BusMisconfigured as error:
        await bus.close()
        raise ConfigError(f"BUS_URL: {error}") from None
    except BaseException:
        await bus.close()
        raise
    return bus


def _bus_options(settings: Settings) -> dict[str, Any]:
    if settings.memory_bus:
        return {}
    return {
        "max_connections": settings.redis_max_connections,
        "pool_timeout": settings.redis_pool_timeout,
        "socket_timeout": settings.redis_socket_timeout,
    }


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    """The database, its schema migrated to the newest revision and an empty catalog seeded
    (with the demo users in development only)."""
    database = Database(settings.database_url)
    log.info("database: %s", _without_password(settings.database_url))
    try:
        await database.prepare(demo_users=settings.app_env is Environment.DEVELOPMENT)
        yield database
    finally:
        await database.close()


@asynccontextmanager
async def _media(database: Database, settings: Settings) -> AsyncIterator[MediaStore]:
    """Images in the database (``MEDIA_STORE=database``) or under ``MEDIA_DIR``; those no
    order carries are deleted ``MEDIA_RETENTION`` seconds after they were made."""
    blobs: Blobs = (
        DatabaseBlobs(database)
        if settings.media_store_kind is MediaStoreKind.DATABASE
        else DirectoryBlobs(settings.media_dir)
    )
    store = MediaStore(database, blobs, max_bytes=settings.max_image_bytes)
    sweeper = asyncio.create_task(
        sweep_forever(
            store,
            retention=settings.media_retention,
            interval=settings.media_sweep_interval,
            # A picture that an order line carries outlives the retention period.
            claimed=select(OrderItem.image_id),
        ),
        name="media-retention",
    )
    try:
        yield store
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper


@asynccontextmanager
async def _realtime(
    bus: Bus, database: Database, outbox: Outbox, settings: Settings, token_keys: TokenKeys
) -> AsyncIterator[WebSocketManager]:
    """The WebSocket manager on ``bus``, and the outbox relay publishing order events."""
    manager = WebSocketManager(bus, settings, token_keys)
    await manager.start()
    relay = OutboxRelay(
        database,
        outbox,
        manager.publisher,
        poll_interval=settings.outbox_poll_interval,
        batch=settings.outbox_batch,
        publish_at_commit=settings.outbox_publish_at_commit,
    )
    relay.start(bus)
    log.info("realtime fan-out started (instance %s)", manager.instance_id)
    try:
        yield manager
    finally:
        await relay.stop()
        await manager.stop()


@asynccontextmanager
async def _voice(bus: Bus, data: VoiceData, settings: Settings) -> AsyncIterator[VoiceRuntime]:
    """The AI requester, conversations and media; with ``AI_WORKER=embedded`` the
    reference AI worker too, inside this process on the same bus."""
    requester = AIRequester(
        bus,
        max_in_flight=settings.ai_max_in_flight,
        max_queue_length=settings.ai_queue_max_length,
    )
    await requester.start()
    ai = AIClient(requester, timeout=settings.ai_timeout)
    store = SessionStore(
        bus,
        ttl=settings.session_ttl,
        lock_ttl=settings.session_lock_timeout,
        lock_wait=min(settings.session_lock_timeout, settings.ai_timeout + LOCK_WAIT_MARGIN),
    )
    conversations = VoiceService(ai, store, data)
    limits = StreamLimits(
        ai_timeout=settings.ai_timeout,
        endpoint_ms=settings.stream_endpoint_ms,
        max_utterance_s=settings.stream_max_utterance_s,
        max_per_caller=settings.stream_max_per_caller,
        # as often as a worker refreshes its heartbeat key
        worker_check_every=settings.ai_worker_heartbeat_ttl / 3,
    )
    hands_free = HandsFree(bus, requester, conversations, limits)
    runtime = VoiceRuntime(ai=ai, conversations=conversations, hands_free=hands_free)
    worker = None
    try:
        if settings.ai_worker_mode is AIWorkerMode.EMBEDDED:
            from ai_worker.runner import Worker

            worker = Worker(bus, settings)
            await worker.start()
            log.info("embedded AI worker started")
        yield runtime
    finally:
        if worker is not None:
            await worker.stop()
        await requester.close()


def _without_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a bus URL SQLAlchemy can't parse: show only its scheme
        return url.split("://", 1)[0] + "://…"
