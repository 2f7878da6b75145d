"""Cake pictures on order lines: which stored images an order may carry.

A picture belongs to whoever had it made: a member (their user id), or a
guest's conversation (:func:`conversation_owner`, when it was made for that
conversation). An order may carry the pictures of its customer and of the
conversation that placed it, nobody else's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from quart_app.models import MediaImage
from quart_app.services.media.store import StoredImage, stored_image
from quart_app.services.orders.errors import InvalidOrderItem, UnknownImage

CONVERSATION_OWNER_PREFIX = "session:"


class Pictured(Protocol):
    """An order line as chosen, with the id of its cake picture if it has one."""

    @property
    def image_id(self) -> str | None: ...


def conversation_owner(session_id: str) -> str:
    """The owner of a picture made for a guest's conversation ``session_id``."""
    return f"{CONVERSATION_OWNER_PREFIX}{session_id}"


def picture_owners(customer_id: str | None, session_id: str | None) -> frozenset[str]:
    """Whose pictures an order of ``customer_id``, placed by ``session_id``, may carry."""
    owners = {customer_id, None if session_id is None else conversation_owner(session_id)}
    return frozenset(owner for owner in owners if owner is not None)


async def order_pictures(
    session: AsyncSession, items: Sequence[Pictured], owners: Collection[str]
) -> list[StoredImage | None]:
    """Each item's stored picture (``None`` without one).

    :class:`InvalidOrderItem` (``items.N.image_id``) for an id that names no
    stored picture, or one that none of ``owners`` had made.
    """
    pictures: list[StoredImage | None] = []
    for index, item in enumerate(items):
        if item.image_id is None:
            pictures.append(None)
            continue
        row = await session.get(MediaImage, item.image_id)
        if row is None or row.owner not in owners:
            refusal = UnknownImage(
                f"there is no picture {item.image_id!r} of yours", field="image_id"
            )
            raise InvalidOrderItem(index, refusal)
        pictures.append(stored_image(row))
    return pictures
