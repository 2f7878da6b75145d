"""Conversation sessions on the bus's keys, so that any instance continues any of them.

A session is ``ConversationSession.to_dict()`` JSON under
``voice:session:<id>``, expiring ``ttl`` seconds after its last turn (each save
starts the time again). Turns on one session are serialized by a bus lock held
for the whole turn, AI request included: a second request on the same session
waits for the first, up to ``lock_wait`` seconds, then gets ``session_busy``;
``lock_ttl`` frees the lock of an instance that died holding it.

An instance keeps the sessions it saved last with the exact bytes it stored:
when the bus still holds those bytes, loading skips parsing them again; any
other bytes (another instance's turn) are parsed. The cache holds at most
``cached`` sessions and ``cached_bytes`` of them, each reckoned at
:data:`HELD_PER_STORED_BYTE` times its JSON (the bytes plus the parsed object).

Ownership: the session id is 192 random bits, so holding it is the capability
to continue a guest's conversation; a member's conversation, in addition,
answers only to that member (``owner`` is ``user:<id>``, a guest's ``guest``).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import orjson

from bus.base import Bus, LockNotAcquired
from bus.keys import voice_session, voice_session_lock
from domain.conversation import ConversationSession
from domain.errors import MalformedData
from quart_app.services.sized_cache import SizedCache
from quart_app.services.voice.errors import SessionBusy, SessionForbidden, SessionNotFound

log = logging.getLogger(__name__)

GUEST_OWNER = "guest"
SESSION_ID_BYTES = 24
DEFAULT_CACHED = 1000
DEFAULT_CACHED_BYTES = 16 * 1024 * 1024
HELD_PER_STORED_BYTE = 4
"""Memory a cached session holds per byte of its JSON: the bytes themselves, and the
parsed session at about 2.4 bytes per byte (tracemalloc, a 50-message conversation)."""


def owner_of(user_id: str | None) -> str:
    """The ``owner`` of a conversation started by ``user_id`` (``None``: a guest)."""
    return GUEST_OWNER if user_id is None else f"user:{user_id}"


class SessionStore:
    """Creates, locks, loads and saves conversation sessions."""

    def __init__(
        self,
        bus: Bus,
        *,
        ttl: float,
        lock_ttl: float,
        lock_wait: float,
        cached: int = DEFAULT_CACHED,
        cached_bytes: int = DEFAULT_CACHED_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._saved: SizedCache[str, tuple[bytes, ConversationSession]] = SizedCache(
            max_entries=cached, max_bytes=cached_bytes
        )
        self._ttl = ttl
        self._lock_ttl = lock_ttl
        self._lock_wait = lock_wait
        self._clock = clock

    def start(self, user_id: str | None) -> ConversationSession:
        """A new conversation with a fresh unguessable id; stored on its first :meth:`save`."""
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        return ConversationSession.start(session_id, user_id, owner_of(user_id), self._clock())

    @asynccontextmanager
    async def turn(
        self, session_id: str, user_id: str | None
    ) -> AsyncIterator[ConversationSession]:
        """Hold the session's lock and yield it, loaded and checked against its caller.

        Raises :class:`SessionBusy` when another turn holds it too long,
        :class:`SessionNotFound` when it is unknown or expired,
        :class:`SessionForbidden` when it belongs to someone else.
        """
        try:
            lock = self._bus.lock(
                voice_session_lock(session_id), ttl=self._lock_ttl, wait=self._lock_wait
            )
            async with lock:
                session = self._owned(await self.load(session_id), session_id, user_id)
                try:
                    yield session
                except BaseException:
                    # The turn may have changed the object without saving it.
                    self._saved.pop(session_id)
                    raise
        except LockNotAcquired:
            raise SessionBusy() from None

    async def read(self, session_id: str, user_id: str | None) -> ConversationSession:
        """The session, without its lock, for a caller allowed to continue it: its member
        (``user_id``), or anyone holding a guest conversation's id. Raises like :meth:`turn`."""
        session = await self.load(session_id)
        if session is not None and session.owner == GUEST_OWNER:
            return session
        return self._owned(session, session_id, user_id)

    async def load(self, session_id: str) -> ConversationSession | None:
        """The stored session, or ``None`` if it is unknown, expired or unreadable."""
        raw = await self._bus.get(voice_session(session_id))
        if raw is None:
            return None
        saved = self._saved.get(session_id)
        if saved is not None and saved[0] == raw:
            return saved[1]
        try:
            return ConversationSession.from_dict(orjson.loads(raw))
        except (ValueError, MalformedData) as error:
            log.warning("dropping unreadable session %s: %s", session_id, error)
            return None

    async def save(self, session: ConversationSession) -> None:
        """Store ``session`` and start its time to live again."""
        data = orjson.dumps(session.to_dict())
        self._saved.pop(session.session_id)
        await self._bus.set(voice_session(session.session_id), data, ttl=self._ttl)
        self._saved.put(session.session_id, (data, session), len(data) * HELD_PER_STORED_BYTE)

    @staticmethod
    def _owned(
        session: ConversationSession | None, session_id: str, user_id: str | None
    ) -> ConversationSession:
        if session is None:
            raise SessionNotFound(session_id)
        if session.owner != owner_of(user_id):
            raise SessionForbidden()
        return session
