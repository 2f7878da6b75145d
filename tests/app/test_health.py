from __future__ import annotations

import pytest
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


@pytest.mark.parametrize("down", [("bus",), ("database",), ("bus", "database")])
async def test_readyz_names_what_is_down(
    app: Quart, client: QuartClient, down: tuple[str, ...]
) -> None:
    # Nothing listens on port 1: a check pointed there fails for real, quickly.
    working = {BUS: app.extensions[BUS], DATABASE: app.extensions[DATABASE]}
    if "bus" in down:
        app.extensions[BUS] = make_bus("redis://127.0.0.1:1/0")
    if "database" in down:
        app.extensions[DATABASE] = Database("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        response = await client.get("/readyz")
    finally:
        for name, resource in working.items():
            if app.extensions[name] is not resource:
                await app.extensions[name].close()
                app.extensions[name] = resource
    body = await response.get_json()
    assert response.status_code == 503
    assert body["error"]["code"] == "not_ready"
    assert body["error"]["message"] == f"Not reachable: {', '.join(down)}."
    checks = body["error"]["details"]["checks"]
    for name in ("bus", "database"):
        if name in down:
            assert checks[name].startswith("unavailable")
        else:
            assert checks[name] == "ok"


async def test_openapi_is_served(client: QuartClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    spec = await response.get_json()
    assert spec["info"]["title"] == "Voice & Realtime service"
