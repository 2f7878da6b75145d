"""``GET /docs``: Swagger UI for ``/openapi.json``, served from the swagger-ui-bundle package.

quart-schema's own page loads the renderer from a CDN, so it is blank offline;
this one references nothing outside this service.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from quart import Blueprint, Response, send_from_directory, url_for
from quart_schema import hide

from quart_app.errors import ApiError

bp = Blueprint("docs", __name__)

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
SERVED_ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
ASSET_MAX_AGE = 86400

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" href="{icon}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{js}"></script>
  <script>
    SwaggerUIBundle({{
      url: "{spec}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    }});
  </script>
</body>
</html>
"""


@bp.get("/docs")
@hide
async def docs() -> Response:
    """The interactive API documentation."""
    page = PAGE.format(
        title="Voice & Realtime service - API",
        css=url_for("docs.asset", name="swagger-ui.css"),
        icon=url_for("docs.asset", name="favicon-32x32.png"),
        js=url_for("docs.asset", name="swagger-ui-bundle.js"),
        spec=url_for("openapi"),
    )
    return Response(page, content_type="text/html; charset=utf-8")


@bp.get("/docs/assets/<name>")
@hide
async def asset(name: str) -> Response:
    """One file of the Swagger UI bundle."""
    if name not in SERVED_ASSETS:
        raise ApiError(404, "not_found", "No such documentation asset.")
    response = await send_from_directory(ASSETS, name)
    response.cache_control.public = True
    response.cache_control.max_age = ASSET_MAX_AGE
    return response
