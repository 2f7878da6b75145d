"""Rate limits on the AI endpoints: per caller, per endpoint, counted across instances."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client import REGISTRY
from quart.testing import QuartClient
from redis.asyncio import Redis

from bus import BusUnavailable
from bus.redis import RedisBus
from config.rate_limit_syntax import parse_rate_limit
from quart_app.extensions import RATE_LIMITER
from quart_app.services.ratelimit.callers import TrustedProxies
from quart_app.services.ratelimit.limiter import RateLimiter, storage_for
from quart_app.testing import ScriptedAIServer
from tests.support.bus_backends import Backend
from tests.support.redis_cluster import RedisClusterProcesses
from tests.support.tokens import bearer
from tests.support.voice_api import ANALYZE, StartApp, llm_answer
from tests.support.waiting import eventually
from tests.support.websockets import Serve

TURN = {"transcript": "hello", "user_id": None, "session_id": None}


def guest_at(address: str) -> dict[str, Any]:
    """Test-client options for a guest whose TCP peer is ``address``."""
    return {"scope_base": {"client": (address, 40000)}}


async def analyze(client: QuartClient, **options: Any) -> Any:
    return await client.post(ANALYZE, json=TURN, **options)


def refusals(endpoint: str) -> float:
    value = REGISTRY.get_sample_value("rate_limit_refusals_total", {"endpoint": endpoint})
    return value or 0.0


@pytest.fixture
def answering(ai_server: ScriptedAIServer) -> ScriptedAIServer:
    ai_server.llm.always(llm_answer())
    return ai_server


async def test_a_flood_is_refused_while_another_caller_is_served(
    backend: Backend, answering: ScriptedAIServer, start_app: StartApp
) -> None:
    client = await start_app(backend.bus, rate_limit_analyze="3/minute")
    before = refusals("analyze")
    for _ in range(3):
        assert (await analyze(client, **guest_at("10.1.1.1"))).status_code == 200
    refused = await analyze(client, **guest_at("10.1.1.1"))
    body = await refused.get_json()

    assert refused.status_code == 429
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["details"]["limit"] == "analyze"
    assert body["error"]["details"]["amount"] == 3
    assert body["error"]["details"]["period_seconds"] == 60
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    assert body["error"]["details"]["retry_after"] == int(retry_after)
    assert refusals("analyze") == before + 1
    # Another guest, and a member calling from the flooding address, are served.
    assert (await analyze(client, **guest_at("10.1.1.2"))).status_code == 200
    member = bearer("customer-7", "customer")
    served = await analyze(client, headers=member, **guest_at("10.1.1.1"))
    assert served.status_code == 200


async def test_the_budget_is_shared_by_every_instance_on_the_bus(
    backend: Backend, answering: ScriptedAIServer, start_app: StartApp
) -> None:
    first = await start_app(backend.bus, rate_limit_analyze="2/minute")
    second = await start_app(await backend.peer(), rate_limit_analyze="2/minute")
    assert (await analyze(first, **guest_at("10.2.0.1"))).status_code == 200
    assert (await analyze(second, **guest_at("10.2.0.1"))).status_code == 200
    assert (await analyze(first, **guest_at("10.2.0.1"))).status_code == 429
    assert (await analyze(second, **guest_at("10.2.0.1"))).status_code == 429


async def test_members_are_counted_by_their_token_not_their_address(
    memory_backend: Backend, start_app: StartApp
) -> None:
    ai_server = ScriptedAIServer(memory_backend.bus)
    ai_server.llm.always(llm_answer())
    await ai_server.start()
    try:
        client = await start_app(memory_backend.bus, rate_limit_analyze="1/minute")
        alice, bob = bearer("alice", "customer"), bearer("bob", "customer")
        assert (await analyze(client, headers=alice)).status_code == 200
        assert (await analyze(client, headers=bob)).status_code == 200
        # Alice's next turn is refused from any address.
        again = await analyze(client, headers=alice, **guest_at("10.9.9.9"))
        assert again.status_code == 429
    finally:
        await ai_server.stop()


async def test_each_endpoint_has_its_own_budget(
    memory_backend: Backend, start_app: StartApp
) -> None:
    client = await start_app(memory_backend.bus, rate_limit_stt="1/hour", rate_limit_image="1/hour")
    caller = guest_at("10.3.0.1")
    # Bodies that are refused after the limit check still spend a request.
    await client.post("/api/voice/stt", data=b"", **caller)
    await client.post("/api/customizations/generate-ai-image", json={}, **caller)
    stt = await client.post("/api/voice/stt", data=b"", **caller)
    image = await client.post("/api/customizations/generate-ai-image", json={}, **caller)
    assert stt.status_code == 429
    assert (await stt.get_json())["error"]["details"]["limit"] == "stt"
    assert image.status_code == 429
    assert (await image.get_json())["error"]["details"]["limit"] == "generate_image"
    assert 3500 < int(image.headers["Retry-After"]) <= 3600
    # analyze has a budget of its own, untouched.
    assert (await client.post(ANALYZE, json={}, **caller)).status_code == 422


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    memory_backend: Backend, start_app: StartApp
) -> None:
    trusting = await start_app(
        memory_backend.bus, rate_limit_analyze="1/minute", trusted_proxies="10.0.0.0/8"
    )
    proxy = guest_at("10.0.0.5")
    first = {"headers": {"X-Forwarded-For": "203.0.113.1"}, **proxy}
    other = {"headers": {"X-Forwarded-For": "203.0.113.2"}, **proxy}
    await trusting.post(ANALYZE, json={}, **first)
    assert (await trusting.post(ANALYZE, json={}, **first)).status_code == 429
    assert (await trusting.post(ANALYZE, json={}, **other)).status_code == 422
    # From an untrusted peer the header is the client's own words: ignored.
    direct = guest_at("198.51.100.7")
    await trusting.post(ANALYZE, json={}, headers={"X-Forwarded-For": "1.1.1.1"}, **direct)
    spoofed = {"headers": {"X-Forwarded-For": "1.1.1.2"}, **direct}
    assert (await trusting.post(ANALYZE, json={}, **spoofed)).status_code == 429


async def test_limits_can_be_switched_off(memory_backend: Backend, start_app: StartApp) -> None:
    client = await start_app(
        memory_backend.bus, rate_limit_analyze="1/minute", rate_limits_enabled=False
    )
    for _ in range(3):
        assert (await client.post(ANALYZE, json={})).status_code == 422


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.5", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # left entries are the client's
        ("10.0.0.5", "203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two proxies in a row
        ("10.0.0.5", "10.0.0.8, 10.0.0.7", "10.0.0.8"),
        ("10.0.0.5", "not-an-ip", "not-an-ip"),
        ("192.0.2.1", "203.0.113.9", "192.0.2.1"),  # an untrusted peer
        (None, "203.0.113.9", "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, client: str) -> None:
    assert TrustedProxies(["10.0.0.0/8"]).client_address(peer, forwarded) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert TrustedProxies([]).client_address("10.0.0.5", "203.0.113.9") == "10.0.0.5"


async def test_unreachable_counters_are_bus_unavailable_not_a_crash() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", connect_timeout=0.5)  # nothing listens on port 1
    limiter = RateLimiter(storage_for(bus), {"analyze": parse_rate_limit("1/minute")})
    try:
        with pytest.raises(BusUnavailable):
            await asyncio.wait_for(limiter.hit("analyze", "addr:10.0.0.1"), 10)
    finally:
        await bus.close()


async def test_a_refused_upload_is_not_read(memory_backend: Backend, start_app: StartApp) -> None:
    client = await start_app(memory_backend.bus, rate_limit_stt="1/hour", max_audio_bytes=1024)
    caller = guest_at("10.4.0.1")
    await client.post("/api/voice/stt", data=b"", **caller)
    oversized = b"x" * 256 * 1024  # read, it would be 413
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    refused = await client.post("/api/voice/stt", data=oversized, headers=headers, **caller)
    assert refused.status_code == 429


@pytest.mark.redis_cluster
async def test_an_instance_on_a_cluster_closes_its_counters_client_when_it_stops(
    redis_cluster: RedisClusterProcesses, serve: Serve
) -> None:
    async def clients() -> int:
        # Each master's clients but the one asking.
        counted = 0
        for master in await redis_cluster.masters():
            async with Redis(port=master.port, socket_timeout=5) as admin:
                counted += len(await admin.client_list()) - 1
        return counted

    before = await clients()
    async with serve(bus_url=redis_cluster.url) as app:
        # Held here, the limiter can't be collected: only closing it lets go of its client.
        limiter = app.extensions[RATE_LIMITER]
        orders = await app.test_client().post(
            "/api/orders", json={"items": []}, headers=bearer("customer-1", "customer")
        )
        assert orders.status_code == 422  # counted first, then refused as empty
        assert await clients() > before

    async def all_closed() -> bool:
        return await clients() <= before

    await eventually(all_closed)
    assert limiter is not None
