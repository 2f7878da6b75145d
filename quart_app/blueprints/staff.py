"""``GET /api/staff`` (managers): the cooks and couriers orders can be assigned to.

Staff become known users as soon as they authenticate: on any HTTP request
with a valid staff token (the app-wide hook below) and on the WebSocket
(``blueprints.ws``), not only once they have moved an order.
"""

from __future__ import annotations

from quart import Blueprint, request
from quart_schema import validate_response

from quart_app.auth import optional_principal, require_manager
from quart_app.errors import ApiError
from quart_app.extensions import get_database, get_known_staff
from quart_app.schemas.staff import StaffList, StaffMember
from quart_app.services.orders.users import assignable_staff

bp = Blueprint("staff", __name__, url_prefix="/api/staff")


@bp.before_app_request
async def remember_staff_callers() -> None:
    """Make the caller a known user if their token is a staff member's."""
    if "Authorization" not in request.headers:
        return
    try:
        principal = optional_principal()
    except ApiError:
        return  # the view refuses the token if it needs one
    if principal is not None:
        await get_known_staff().remember(principal)


@bp.get("")
@require_manager
@validate_response(StaffList)
async def list_staff() -> StaffList:
    """Every known cook and courier, by role then id."""
    members = await assignable_staff(get_database())
    return StaffList(
        staff=[
            StaffMember.model_validate(
                {"user_id": user.id, "role": user.role, "display_name": user.display_name}
            )
            for user in members
        ]
    )
