"""``GET /api/menus``: the catalog, public and served from the catalog cache."""

from __future__ import annotations

from typing import Any

from quart import Blueprint
from quart_schema import validate_response

from quart_app.extensions import get_catalog_service
from quart_app.schemas.catalog import CatalogResponse

bp = Blueprint("menus", __name__, url_prefix="/api")


@bp.get("/menus")
@validate_response(CatalogResponse)
async def list_menus() -> dict[str, Any]:
    """Every menu (bilingual names, price, default ingredients, styles) and every style."""
    return (await get_catalog_service().get_snapshot()).menus_document
