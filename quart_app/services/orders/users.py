"""Users appear here the first time they act: ids come from the platform's auth service."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders import Role
from quart_app.models import User, utc_now


async def ensure_user(session: AsyncSession, user_id: str, role: Role) -> None:
    """Create the row of ``user_id`` with ``role`` unless it exists (in the caller's transaction).

    An existing row is left alone; concurrent first appearances of one user
    both succeed (``INSERT ... ON CONFLICT DO NOTHING``).
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(User)
        .values(id=user_id, display_name=user_id, role=role.value, created_at=utc_now())
        .on_conflict_do_nothing(index_elements=[User.id])
    )
    await session.execute(statement)
