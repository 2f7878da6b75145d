"""``POST /api/kudos``: a customer thanks the staff for one of their delivered orders.

201 ``{"event_id"}`` once every staff socket has been sent ``kudos.received``;
401 without a token, 403 for staff, 404 for an order that is not the caller's,
409 ``not_delivered`` before delivery, 422 for a bad body: every error in the
service's error shape.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint
from quart_schema import validate_request, validate_response

from domain.orders import Role
from examples.kudos.service import KudosService, NotDelivered
from quart_app.auth import require_principal, require_roles
from quart_app.errors import ApiError
from quart_app.extensions import get_order_service, get_websocket_manager

bp = Blueprint("kudos", __name__, url_prefix="/api/kudos")


class KudosRequest(BaseModel):
    """Which order, and what to tell the staff."""

    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=280)


class KudosSent(BaseModel):
    """The id of the ``kudos.received`` notification."""

    event_id: str


@bp.post("")
@require_roles(Role.CUSTOMER)
@validate_request(KudosRequest)
@validate_response(KudosSent, 201)
async def send_kudos(data: KudosRequest) -> tuple[KudosSent, int]:
    """Thank the staff for a delivered order."""
    kudos = KudosService(get_order_service(), get_websocket_manager().publisher)
    try:
        event_id = await kudos.thank(require_principal(), data.order_id, data.message)
    except NotDelivered as error:
        raise ApiError(409, "not_delivered", f"{error}.") from None
    return KudosSent(event_id=event_id), 201
