"""``GET /metrics``: the Prometheus text exposition (docs/contract.md §2.6)."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import hide

from quart_app.observability.metrics import CONTENT_TYPE, exposition

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@hide
async def metrics() -> Response:
    """Every metric of this instance (of all its worker processes); restrict it at the network."""
    return Response(exposition(), content_type=CONTENT_TYPE)
