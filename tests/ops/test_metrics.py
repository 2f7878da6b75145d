"""GET /metrics: Prometheus text that parses and shows this instance's traffic."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from quart.testing import QuartClient

from quart_app.observability.metrics import ai_round_trip


async def scrape(client: QuartClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, by name and sorted labels."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_http_requests_are_counted_by_route_template_and_status(
    client: QuartClient,
) -> None:
    before = await scrape(client)
    for _ in range(3):
        await client.get("/healthz")
    await client.get("/api/orders/" + "a" * 32)  # 401, by its template
    await client.get("/nowhere")
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("http_requests_total", method="GET", route="/healthz", status="200") == 3
    orders = {"method": "GET", "route": "/api/orders/<order_id>"}
    assert grew("http_requests_total", status="401", **orders) == 1
    assert grew("http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert grew("http_request_duration_seconds_count", method="GET", route="/healthz") == 3
    assert grew("http_request_duration_seconds_bucket", le="+Inf", **orders) == 1


async def test_made_up_methods_share_one_label(client: QuartClient) -> None:
    made_up = [f"BREW{n}" for n in range(50)] + ["X" * 8000]

    def others(samples: dict[Any, float]) -> float:
        return sum(
            count
            for (name, labels), count in samples.items()
            if name == "http_requests_total" and dict(labels)["method"] == "OTHER"
        )

    before = await scrape(client)
    for method in made_up:
        await client.open("/healthz", method=method)
    after = await scrape(client)

    assert not {dict(labels).get("method") for _, labels in after} & set(made_up)
    assert others(after) - others(before) == len(made_up)


async def test_every_metric_family_of_the_contract_is_there(client: QuartClient) -> None:
    response = await client.get("/metrics")
    families = {f.name for f in text_string_to_metric_families(await response.get_data(True))}
    assert {
        "http_requests",
        "http_request_duration_seconds",
        "ai_requests",
        "ai_request_duration_seconds",
        "ai_requests_in_flight",
        "websocket_connections",
        "notifications_delivered",
        "notifications_dropped",
        "rate_limit_refusals",
        "outbox_backlog",
        "bus_pubsub_connections",
        "outbox_oldest_age_seconds",
        "order_event_delivery_seconds",
    } <= families


async def test_ai_round_trips_count_outcome_latency_and_in_flight(client: QuartClient) -> None:
    before = await scrape(client)
    with ai_round_trip("stt"):
        during = await scrape(client)
    try:
        with ai_round_trip("stt"):
            raise TimeoutError
    except TimeoutError:
        pass
    after = await scrape(client)

    assert value(during, "ai_requests_in_flight", kind="stt") == 1
    assert value(after, "ai_requests_in_flight", kind="stt") == 0
    for outcome in ("ok", "TimeoutError"):
        grown = value(after, "ai_requests_total", kind="stt", outcome=outcome) - value(
            before, "ai_requests_total", kind="stt", outcome=outcome
        )
        assert grown == 1
    count = "ai_request_duration_seconds_count"
    assert value(after, count, kind="stt") - value(before, count, kind="stt") == 2
