"""The catalog, read from the database once and kept in memory for a short while."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bus.ai_messages import AICatalog
from domain.catalog import Catalog
from domain.catalog import Ingredient as DomainIngredient
from domain.catalog import Menu as DomainMenu
from domain.catalog import Style as DomainStyle
from quart_app.database import Database, DatabaseUnavailable
from quart_app.models import Menu, MenuIngredient, Style
from quart_app.schemas.catalog import CatalogStyle

DEFAULT_TTL = 60.0
"""Seconds a loaded catalog is served before the next call reloads it."""
STALE_RETRY = 5.0
"""While the database is unreachable, seconds between two tries to reload (the last
snapshot is served meanwhile)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """One load of the catalog: the domain ``catalog`` and the ``GET /api/menus`` body."""

    catalog: Catalog
    menus_document: dict[str, Any]


class CatalogService:
    """Serves the catalog from memory; reloads it after ``ttl`` seconds or :meth:`invalidate`.

    The voice API asks for it on every turn, so a call costs no query while
    the snapshot is fresh, and concurrent callers share one reload. While the
    database is unreachable, the last snapshot goes on being served (a
    conversation needs no database until its order is placed), and a reload is
    tried every :data:`STALE_RETRY` seconds.
    """

    def __init__(
        self,
        database: Database,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._ttl = ttl
        self._clock = clock
        self._snapshot: CatalogSnapshot | None = None
        self._loaded_at = 0.0
        self._reload = asyncio.Lock()

    async def get_catalog(self) -> Catalog:
        """The catalog, for validating and pricing order lines and for the AI context."""
        return (await self.get_snapshot()).catalog

    async def get_snapshot(self) -> CatalogSnapshot:
        """The current snapshot, reloaded first if it is missing or stale."""
        snapshot = self._fresh_snapshot()
        if snapshot is None:
            async with self._reload:
                # Another caller may have reloaded while this one waited for the lock.
                snapshot = self._fresh_snapshot()
                if snapshot is None:
                    snapshot = await self._reloaded()
        return snapshot

    async def _reloaded(self) -> CatalogSnapshot:
        try:
            snapshot = await self._load()
        except DatabaseUnavailable as error:
            if self._snapshot is None:
                raise
            log.warning("serving the last catalog loaded: %s", error)
            self._loaded_at = self._clock() - self._ttl + STALE_RETRY
            return self._snapshot
        self._snapshot, self._loaded_at = snapshot, self._clock()
        return snapshot

    def invalidate(self) -> None:
        """Forget the snapshot: the next call reads the database again."""
        self._snapshot = None

    def _fresh_snapshot(self) -> CatalogSnapshot | None:
        if self._snapshot is not None and self._clock() - self._loaded_at < self._ttl:
            return self._snapshot
        return None

    async def _load(self) -> CatalogSnapshot:
        async with self._database.session() as session:
            menus = (
                await session.scalars(
                    select(Menu)
                    .options(
                        selectinload(Menu.ingredients).joinedload(MenuIngredient.ingredient),
                        selectinload(Menu.styles),
                    )
                    .order_by(Menu.position, Menu.code)
                )
            ).all()
            styles = (await session.scalars(select(Style).order_by(Style.position))).all()
        return build_snapshot(menus, styles)


_NAMED = ("code", "name_ko", "name_en")
_DESCRIBED = (*_NAMED, "description_ko", "description_en")


def build_snapshot(menus: Sequence[Menu], styles: Sequence[Style]) -> CatalogSnapshot:
    """The snapshot of these rows (menus in catalog order, with ingredients and styles loaded)."""
    catalog = Catalog(menus=tuple(_catalog_menu(menu) for menu in menus))
    document = AICatalog.of(catalog).model_dump() | {
        "styles": [
            CatalogStyle(
                **_columns(style, *_DESCRIBED, "price_delta"),
                menu_codes=[menu.code for menu in menus if style in menu.styles],
            ).model_dump()
            for style in styles
        ],
    }
    return CatalogSnapshot(catalog=catalog, menus_document=document)


def _catalog_menu(menu: Menu) -> DomainMenu:
    return DomainMenu(
        **_columns(menu, *_DESCRIBED, "price"),
        ingredients=tuple(
            DomainIngredient(
                **_columns(item.ingredient, *_NAMED, "unit_price"), quantity=item.quantity
            )
            for item in menu.ingredients
        ),
        styles=tuple(DomainStyle(**_columns(s, *_NAMED, "price_delta")) for s in menu.styles),
    )


def _columns(row: object, *names: str) -> dict[str, Any]:
    # The tables' columns and the domain's fields have the same names.
    return {name: getattr(row, name) for name in names}
