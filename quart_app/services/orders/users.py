"""Users appear here the first time they act: ids come from the platform's auth service."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from domain.orders import ASSIGNABLE_ROLES, Role
from quart_app.database import Database
from quart_app.models import User, utc_now
from quart_app.services.auth.tokens import Principal

log = logging.getLogger(__name__)

REMEMBERED_PER_PROCESS = 10_000


async def ensure_user(
    session: AsyncSession, user_id: str, role: Role, *, role_from_token: bool
) -> None:
    """Create the row of ``user_id`` with ``role`` unless it exists (in the caller's transaction).

    With ``role_from_token`` (the role is what the caller's token says now), an
    existing row takes that role: the platform's auth service is the source of
    truth for roles. Without it, an existing row is left alone. Concurrent first
    appearances of one user both succeed (``INSERT ... ON CONFLICT``).
    """
    dialect = session.get_bind().dialect.name
    values = {"id": user_id, "display_name": user_id, "role": role.value, "created_at": utc_now()}
    await session.execute(user_upsert(dialect, values, role_from_token=role_from_token))


def user_upsert(dialect: str, values: Mapping[str, Any], *, role_from_token: bool) -> Insert:
    """:func:`ensure_user`'s statement on ``dialect`` (``postgresql`` or ``sqlite``), its
    columns' ``values`` literal or bound parameters."""
    dialects = postgresql if dialect == "postgresql" else sqlite
    insert = dialects.insert(User).values(values)
    statement: Insert = (
        insert.on_conflict_do_update(
            index_elements=[User.id],
            set_={"role": insert.excluded.role},
            where=User.role != insert.excluded.role,
        )
        if role_from_token
        else insert.on_conflict_do_nothing(index_elements=[User.id])
    )
    return statement


async def assignable_staff(database: Database) -> list[User]:
    """Every known cook and courier, by role then id."""
    query = (
        select(User)
        .where(User.role.in_([role.value for role in ASSIGNABLE_ROLES]))
        .order_by(User.role, User.id)
    )
    async with database.session() as session:
        return list(await session.scalars(query))


class KnownStaff:
    """Makes staff known (assignable) users as soon as they authenticate.

    Each process writes a staff member's row once (remembering the last
    ``REMEMBERED_PER_PROCESS`` it wrote), not on every request. Callers
    arriving together share one transaction (a group commit): after a deploy
    every staff socket reconnects at once, and a session each would take the
    pool and the heap together. It is best effort: a database failure is logged
    and tried again on the next request, never turned into a refusal of the
    request itself.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._remembered: OrderedDict[tuple[str, Role], None] = OrderedDict()
        self._waiting: dict[tuple[str, Role], None] = {}
        self._writing: asyncio.Task[None] | None = None

    async def remember(self, principal: Principal) -> None:
        """Make ``principal`` a known user if they are staff; return once that is written
        (or failed)."""
        key = (principal.user_id, principal.role)
        if not principal.is_staff or key in self._remembered:
            return
        self._waiting[key] = None
        while key in self._waiting:  # the write under way began without it: the next one
            if self._writing is None or self._writing.done():
                self._writing = asyncio.create_task(self._write_waiting())
            # Shielded: a caller that goes away does not cancel the others' write.
            await asyncio.shield(self._writing)

    async def close(self) -> None:
        """Let a write under way finish, before the database closes."""
        if self._writing is not None:
            await asyncio.wait([self._writing])

    async def _write_waiting(self) -> None:
        batch = list(self._waiting)
        self._waiting.clear()
        if not await self._write(batch) and len(batch) > 1:
            for key in batch:  # one row the database refuses must not keep out the rest
                await self._write([key])

    async def _write(self, batch: list[tuple[str, Role]]) -> bool:
        try:
            async with self._database.session() as session, session.begin():
                for user_id, role in batch:
                    await ensure_user(session, user_id, role, role_from_token=True)
        except SQLAlchemyError:
            names = ", ".join(user_id for user_id, _ in batch)
            log.warning("could not record staff members %s", names, exc_info=True)
            return False
        self._remembered.update(dict.fromkeys(batch))
        while len(self._remembered) > REMEMBERED_PER_PROCESS:
            self._remembered.popitem(last=False)
        return True
