"""The demo pages (docs/contract.md §9): the kiosk at ``/`` and the staff board at ``/staff``.

Plain HTML, CSS and JavaScript modules from ``quart_app/pages/``, with no
build step and nothing from another origin, so they work offline. The board
gets the steps each role may take from ``domain.orders``, not a copy in JavaScript.
"""

from __future__ import annotations

import json
from pathlib import Path

from quart import Blueprint, Response, render_template, send_from_directory
from quart_schema import hide

from domain.language import DEFAULT_LANGUAGE
from domain.orders import ALLOWED_STEPS, ROLES_FOR_TARGET, STAFF_ROLES, OrderStatus

PAGES = Path(__file__).parent.parent / "pages"
bp = Blueprint("pages", __name__, template_folder=PAGES / "templates")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def steps_by_role() -> dict[str, dict[str, list[str]]]:
    """For each staff role, each status's next statuses that role may set, in lifecycle order."""
    return {
        role.value: {
            status.value: [
                target.value
                for target in OrderStatus
                if target in ALLOWED_STEPS[status] and role in ROLES_FOR_TARGET.get(target, ())
            ]
            for status in OrderStatus
        }
        for role in sorted(STAFF_ROLES)
    }


@bp.context_processor
def _default_language() -> dict[str, str]:
    # The pages start in the service's default language (``<html lang>``, read by i18n.js).
    return {"default_language": DEFAULT_LANGUAGE}


@bp.get("/")
@hide
async def kiosk() -> Response:
    """The ordering kiosk."""
    return _page(await render_template("kiosk.html"))


@bp.get("/staff")
@hide
async def staff() -> Response:
    """The staff board."""
    return _page(await render_template("staff.html", steps=json.dumps(steps_by_role())))


@bp.get("/static/<path:filename>")
@hide
async def static(filename: str) -> Response:
    """The pages' stylesheet and scripts (only files under ``quart_app/pages/static``)."""
    response = await send_from_directory(PAGES / "static", filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _page(html: str) -> Response:
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
