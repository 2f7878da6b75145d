"""Two instances on one Redis and one PostgreSQL serve as one.

An image made through one is served by the other; one caller's flood is
refused while another caller is served; /metrics parses and shows the
traffic; /docs renders from the service alone; an allowed origin may call.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from quart.testing import QuartClient
from redis.asyncio import Redis

from bus.redis import RedisBus
from quart_app.testing import ScriptedAIServer
from tests.support.databases import empty_database
from tests.support.html_links import LinkedUrls
from tests.support.images import image_bytes, image_result
from tests.support.voice_api import GENERATE, StartApp, llm_answer

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ORIGIN = "https://kiosk.example"
PNG = image_bytes("PNG")


@pytest.fixture
async def pair(
    start_app: StartApp, redis_url: str, postgres_url: str, tmp_path: Path
) -> AsyncIterator[tuple[QuartClient, QuartClient, ScriptedAIServer]]:
    """Two instances, each with its own Redis connection and media dir, and an AI Server."""
    async with Redis.from_url(redis_url) as client:
        await client.flushdb()  # only this suite's own database
    await empty_database(postgres_url)
    buses = [RedisBus(redis_url) for _ in range(3)]
    for bus in buses:
        await bus.connect()
    ai_server = ScriptedAIServer(buses[2])
    ai_server.llm.always(llm_answer())
    await ai_server.start()
    try:
        clients = [
            await start_app(
                bus,
                bus_url=redis_url,  # as deployed: the defaults (database media store) follow it
                database_url=postgres_url,
                media_dir=tmp_path / f"media-{number}",
                rate_limit_analyze="5/minute",
                cors_origins=ORIGIN,
            )
            for number, bus in enumerate(buses[:2])
        ]
        yield clients[0], clients[1], ai_server
    finally:
        await ai_server.stop()
        for bus in buses:
            await bus.close()


async def test_an_image_made_through_one_is_served_by_the_other(
    pair: tuple[QuartClient, QuartClient, ScriptedAIServer], tmp_path: Path
) -> None:
    one, other, ai_server = pair
    ai_server.image.queue(image_result(PNG))
    made = await one.post(GENERATE, json={"prompt": "a cake"})
    assert made.status_code == 201
    served = await other.get((await made.get_json())["image_path"])
    assert served.status_code == 200
    assert await served.get_data() == PNG
    assert not any(path.name.startswith("media-") for path in os.scandir(tmp_path))


async def test_a_flood_is_refused_on_both_while_another_caller_is_served(
    pair: tuple[QuartClient, QuartClient, ScriptedAIServer],
) -> None:
    one, other, _ = pair
    flooder, calm = (
        {"scope_base": {"client": (f"192.0.2.{random.randint(1, 254)}", 1)}},
        {"scope_base": {"client": ("198.51.100.1", 1)}},
    )
    turn = {"transcript": "hello", "user_id": None, "session_id": None}
    statuses = [
        (
            await (one if n % 2 else other).post("/api/voice/analyze", json=turn, **flooder)
        ).status_code
        for n in range(8)
    ]
    assert statuses == [200] * 5 + [429] * 3
    assert (await one.post("/api/voice/analyze", json=turn, **calm)).status_code == 200
    assert (await other.post("/api/voice/analyze", json=turn, **calm)).status_code == 200

    for client in (one, other):
        text = await (await client.get("/metrics")).get_data(as_text=True)
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        analyze = (("method", "POST"), ("route", "/api/voice/analyze"))
        assert samples[("http_requests_total", (*analyze, ("status", "200")))] >= 3
        assert samples[("http_requests_total", (*analyze, ("status", "429")))] >= 1
        assert samples[("rate_limit_refusals_total", (("endpoint", "analyze"),))] >= 1
        llm_ok = (("kind", "llm"), ("outcome", "ok"))
        assert samples[("ai_requests_total", llm_ok)] >= 3


async def test_docs_render_from_the_service_alone(
    pair: tuple[QuartClient, QuartClient, ScriptedAIServer],
) -> None:
    _, other, _ = pair
    parser = LinkedUrls()
    parser.feed(await (await other.get("/docs")).get_data(as_text=True))
    assert parser.urls and all(url.startswith("/docs/assets/") for url in parser.urls)
    for url in parser.urls:
        assert (await other.get(url)).status_code == 200


async def test_a_browser_on_an_allowed_origin_can_call_the_api(
    pair: tuple[QuartClient, QuartClient, ScriptedAIServer],
) -> None:
    one, other, _ = pair
    preflight = await one.options(
        "/api/voice/analyze",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    call = await other.post(
        "/api/voice/analyze",
        json={"transcript": "hi", "user_id": None, "session_id": None},
        headers={"Origin": ORIGIN},
    )
    assert call.status_code == 200
    assert call.headers["Access-Control-Allow-Origin"] == ORIGIN
