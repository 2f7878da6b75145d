"""The database: one async SQLAlchemy engine per app, opened and closed with it."""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

import asyncpg
from asyncpg.exceptions import (
    AdminShutdownError,
    CannotConnectNowError,
    PostgresConnectionError,
)
from sqlalchemy import event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from quart_app.migrations import upgrade_to_head
from quart_app.models import utc_now
from quart_app.seed import seed_if_empty

log = logging.getLogger(__name__)

STARTUP_LOCK_KEY = 0x766F_6963_6552_5431
"""PostgreSQL advisory lock held while an instance migrates and seeds."""


_SERVER_ABSENT = (
    OSError,  # refused, unreachable, reset
    TimeoutError,
    PostgresConnectionError,
    CannotConnectNowError,  # starting up or shutting down
    AdminShutdownError,
)


class DatabaseUnavailable(Exception):
    """The database cannot be reached now: a connection was refused, timed out or dropped."""


def _unavailable(context: ExceptionContext) -> BaseException | None:
    # A server that is away is not a bug in the statement: the caller gets
    # this instead of the driver's error, and answers 503 rather than 500.
    error = context.original_exception
    if context.is_disconnect or isinstance(error, _SERVER_ABSENT):
        return DatabaseUnavailable(f"the database is unreachable: {error}")
    return None


def _connect(dialect: Any, _record: object, cargs: list[Any], cparams: dict[str, Any]) -> Any:
    # Connecting is outside what handle_error sees: its failures are translated here.
    try:
        return dialect.loaded_dbapi.connect(*cargs, **cparams)
    except _SERVER_ABSENT as error:
        raise DatabaseUnavailable(f"the database is unreachable: {error}") from error


class Database:
    """An engine and its session factory (``expire_on_commit=False``: an attribute
    touched after a commit would otherwise reload, which async sessions cannot do)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        if self.is_sqlite:
            _ensure_sqlite_folder(self.url.database)
        # Each checkout makes sure its connection is alive: SQLAlchemy's pre-ping on
        # SQLite; on PostgreSQL one round trip of ours (_ping), where asyncpg's
        # pre-ping takes three (BEGIN, the ping, ROLLBACK).
        self.engine = self._engine(pool_pre_ping=self.is_sqlite)
        if not self.is_sqlite:
            event.listen(self.engine.sync_engine, "checkout", _ping)
        self.autocommit_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.is_sqlite
            else self._engine(isolation_level="AUTOCOMMIT")
        )
        """Each statement its own transaction, for callers that count round trips (the
        outbox relay): no ``BEGIN``, no ``COMMIT``, and on PostgreSQL no ping at
        checkout; a connection found dead fails one statement, and the pool replaces it."""
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)

    def _engine(self, **options: Any) -> AsyncEngine:
        engine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            event.listen(engine.sync_engine, "do_connect", _connect)
        event.listen(engine.sync_engine, "handle_error", _unavailable)
        return engine

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite file rather than a server."""
        return self.url.get_backend_name() == "sqlite"

    async def ping(self) -> None:
        """Raise if the database does not answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def prepare(self, *, demo_users: bool) -> bool:
        """Migrate the schema to the newest revision, then seed the demo data if empty
        (its users only with ``demo_users``).

        Returns whether it seeded. Several instances may start at once: a
        PostgreSQL advisory lock (a file lock beside a SQLite database) lets
        one migrate and seed while the others wait, then find nothing to do.
        """
        async with self._startup_lock(), self.engine.connect() as connection:
            if not self.is_sqlite:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": STARTUP_LOCK_KEY}
                )
            await connection.run_sync(upgrade_to_head)
            async with AsyncSession(bind=connection, expire_on_commit=False) as session:
                seeded = await seed_if_empty(session, utc_now(), demo_users=demo_users)
                # Commits on SQLite; on PostgreSQL the session only joined the transaction
                # that holds the lock, and the connection's commit below ends it.
                await session.commit()
            await connection.commit()
        if seeded:
            users = ", users" if demo_users else ""
            log.info("seeded the demo catalog, promotions%s", users)
        return seeded

    def _startup_lock(self) -> AbstractAsyncContextManager[None]:
        database = self.url.database
        if self.is_sqlite and database and database != ":memory:":
            return _file_lock(Path(f"{database}.startup-lock"))
        return nullcontext()

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if not self.is_sqlite:
            await self.autocommit_engine.dispose()

    def listener(self, channel: str, on_notify: Callable[[], None], *, retry: float) -> Listener:
        """A :class:`Listener` for ``NOTIFY channel`` on this PostgreSQL database."""
        if self.is_sqlite:
            raise ValueError("SQLite has no LISTEN/NOTIFY")
        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return Listener(dsn, channel, on_notify, retry=retry)


class Listener:
    """``LISTEN channel`` on a connection of its own: calls ``on_notify`` for every
    notification, and once each time it starts listening (what was sent while it
    was not is lost). A lost connection is opened again every ``retry`` seconds."""

    def __init__(
        self, dsn: str, channel: str, on_notify: Callable[[], None], *, retry: float
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_notify = on_notify
        self._retry = retry
        self._task: asyncio.Task[None] | None = None
        self.listening = False
        """Whether a notification sent now would reach ``on_notify``."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"listen-{self._channel}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        failing = False
        while True:
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if not failing:
                    log.warning("LISTEN %s failed, will retry: %s", self._channel, error)
                failing = True
            else:
                failing = False
            await asyncio.sleep(self._retry)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(self._channel, self._notified)
            self.listening = True
            self._on_notify()
            await lost.wait()
        finally:
            self.listening = False
            with suppress(Exception):
                await asyncio.shield(connection.close(timeout=self._retry))

    def _notified(self, *_notification: object) -> None:
        self._on_notify()


@asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    handle = await asyncio.to_thread(path.open, "a")
    try:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


def _ping(dbapi_connection: Any, _record: object, _proxy: object) -> None:
    """Check out a live PostgreSQL connection: it answers a trivial query (one round
    trip, no transaction), or the pool, emptied of the connections made before (a
    restarted server dropped them all), connects afresh."""
    try:
        await_(dbapi_connection.driver_connection.execute("SELECT 1"))
    except Exception as error:
        raise InvalidatePoolError(f"the pooled connection is gone: {error!r}") from error


def _ensure_sqlite_folder(database: str | None) -> None:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers run beside a writer.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
