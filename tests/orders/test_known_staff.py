"""Recording staff as known users: callers arriving together share one transaction."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import Role
from quart_app.database import Database
from quart_app.services.auth.tokens import Principal
from quart_app.services.orders import users
from quart_app.services.orders.users import KnownStaff, assignable_staff
from tests.support.waiting import WAIT


def counting_sessions(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gets one item for each session ``database`` opens from now on."""
    opened: list[int] = []
    make = database.session

    def session() -> AsyncSession:
        opened.append(1)
        return make()

    monkeypatch.setattr(database, "session", session)
    return opened


async def known(database: Database) -> set[str]:
    return {user.id for user in await assignable_staff(database)}


async def test_staff_connecting_together_are_recorded_in_one_transaction(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = KnownStaff(database)
    opened = counting_sessions(database, monkeypatch)
    cooks = [f"cook-{n}" for n in range(50)]  # every socket reconnecting after a deploy
    await asyncio.wait_for(
        asyncio.gather(*(staff.remember(Principal(cook, Role.COOK)) for cook in cooks)), WAIT
    )
    await staff.remember(Principal("cook-7", Role.COOK))  # written once per process
    assert len(opened) == 1
    assert set(cooks) <= await known(database)


async def test_a_row_the_database_refuses_keeps_out_no_one_else(
    database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ensure_user = users.ensure_user

    async def refusing(session: AsyncSession, user_id: str, role: Role, **options: Any) -> None:
        if user_id == "cook-bad":
            raise SQLAlchemyError("refused")
        await ensure_user(session, user_id, role, **options)

    monkeypatch.setattr(users, "ensure_user", refusing)
    staff = KnownStaff(database)
    names = ["cook-1", "cook-bad", "cook-2"]
    with caplog.at_level(logging.WARNING, logger=users.__name__):
        await asyncio.wait_for(
            asyncio.gather(*(staff.remember(Principal(name, Role.COOK)) for name in names)), WAIT
        )
    assert {"cook-1", "cook-2"} <= await known(database)
    assert "cook-bad" not in await known(database)
    assert "could not record staff members cook-bad" in caplog.text


async def test_a_caller_that_goes_away_leaves_the_write_to_the_others(database: Database) -> None:
    staff = KnownStaff(database)
    leaving = asyncio.create_task(staff.remember(Principal("courier-1", Role.DELIVERY)))
    staying = asyncio.create_task(staff.remember(Principal("courier-2", Role.DELIVERY)))
    await asyncio.sleep(0)  # both wait for the one write
    leaving.cancel()
    await asyncio.wait_for(staying, WAIT)
    assert leaving.cancelled()
    assert {"courier-1", "courier-2"} <= await known(database)
    await staff.close()
