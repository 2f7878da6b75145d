"""``GET /api/ws/stats``: managers only; counts from this instance's report (memory bus)."""

from __future__ import annotations

from quart import Quart

from tests.support.tokens import bearer
from tests.support.waiting import eventually
from tests.support.websockets import Connect


async def test_stats_need_a_manager(app: Quart) -> None:
    client = app.test_client()
    assert (await client.get("/api/ws/stats")).status_code == 401
    response = await client.get("/api/ws/stats", headers=bearer("k", "cook"))
    assert response.status_code == 403
    assert (await response.get_json())["error"]["code"] == "forbidden"


async def test_stats_count_sockets_roles_and_distinct_users(app: Quart, connect: Connect) -> None:
    async with (
        connect(app, "c", "customer"),
        connect(app, "c", "customer"),
        connect(app, "d", "delivery"),
    ):
        expected = {
            "total": 3,
            "by_role": {"customer": 2, "cook": 0, "delivery": 1, "manager": 0},
            "users": 2,
            "instances": 1,
        }

        async def reported() -> bool:
            response = await app.test_client().get("/api/ws/stats", headers=bearer("m", "manager"))
            return bool(await response.get_json() == expected)

        await eventually(reported)
