from __future__ import annotations

from quart import Quart
from quart.testing import QuartClient

from bus import make_bus
from quart_app.database import Database
from quart_app.extensions import BUS, DATABASE


async def test_healthz_answers(client: QuartClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ok"}


async def test_readyz_checks_bus_and_database(client: QuartClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {
        "status": "ready",
        "checks": {"bus": "ok", "database": "ok"},
    }


async def test_readyz_names_what_is_down(app: Quart, client: QuartClient) -> None:
    # Nothing listens on port 1: both checks fail for real, quickly.
    working = {BUS: app.extensions[BUS], DATABASE: app.extensions[DATABASE]}
    app.extensions[BUS] = make_bus("redis://127.0.0.1:1/0")
    app.extensions[DATABASE] = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        response = await client.get("/readyz")
    finally:
        await app.extensions[BUS].close()
        await app.extensions[DATABASE].close()
        app.extensions.update(working)
    body = await response.get_json()
    assert response.status_code == 503
    assert body["error"]["code"] == "not_ready"
    assert body["error"]["message"] == "Not reachable: bus, database."
    checks = body["error"]["details"]["checks"]
    assert checks["bus"].startswith("unavailable")
    assert checks["database"].startswith("unavailable")


async def test_openapi_is_served(client: QuartClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec = await response.get_json()
    assert spec["info"]["title"] == "Voice & Realtime service"
