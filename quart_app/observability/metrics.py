"""The Prometheus metrics of this service (docs/contract.md §2.6), one definition each.

They live in prometheus-client's process-wide registry. Under
``hypercorn --workers N`` each worker is a process: with
``PROMETHEUS_MULTIPROC_DIR`` set (``voice-realtime serve`` sets it for
``--workers`` > 1) every worker writes its values to files there and a
scrape of any worker adds them all up (:func:`exposition`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE = "<unmatched>"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"
"""The label of any other method: a client may send any token as a method, and each
label value is a series kept for the life of the process."""

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route template.",
    ["method", "route"],
)
AI_REQUESTS = Counter(
    "ai_requests_total",
    "AI Server round trips by kind (stt, llm, image) and outcome.",
    ["kind", "outcome"],
)
AI_LATENCY = Histogram(
    "ai_request_duration_seconds",
    "AI Server round-trip time by kind.",
    ["kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120),
)
AI_IN_FLIGHT = Gauge(
    "ai_requests_in_flight",
    "AI requests waiting for their result, by kind.",
    ["kind"],
    multiprocess_mode="livesum",
)
WEBSOCKET_CONNECTIONS = Gauge(
    "websocket_connections",
    "Authenticated WebSocket connections by role.",
    ["role"],
    multiprocess_mode="livesum",
)
NOTIFICATIONS_DELIVERED = Counter(
    "notifications_delivered_total", "Notification frames queued to a socket."
)
NOTIFICATIONS_DROPPED = Counter(
    "notifications_dropped_total",
    "Notifications not delivered, by reason (slow_client, malformed).",
    ["reason"],
)
BUS_PUBSUB_CONNECTIONS = Gauge(
    "bus_pubsub_connections",
    "Pub/sub connections this instance holds to the bus: one on Redis, one per master "
    "carrying a channel it listens on in a Redis Cluster.",
    multiprocess_mode="livesum",
)
OUTBOX_BACKLOG = Gauge(
    "outbox_backlog",
    "Order notifications written and not yet published (the whole database's outbox).",
    multiprocess_mode="livemax",
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_age_seconds",
    "Age of the oldest order notification waiting in the outbox; 0 when none waits.",
    multiprocess_mode="livemax",
)
ORDER_EVENT_DELIVERY = Histogram(
    "order_event_delivery_seconds",
    "Time from an order change's transaction to its notification queued to this "
    "instance's sockets.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
RATE_LIMITED = Counter(
    "rate_limit_refusals_total",
    "Requests refused with 429 rate_limited, by endpoint.",
    ["endpoint"],
)


@contextmanager
def ai_round_trip(kind: str) -> Iterator[None]:
    """Count one AI request of ``kind``: in flight while inside, then its outcome and time.

    The outcome is ``ok``, or the class name of the exception that ended it
    (``BusTimeout``, ``AIResultError``, ...: a small, fixed set).
    """
    started = perf_counter()
    AI_IN_FLIGHT.labels(kind).inc()
    outcome = "ok"
    try:
        yield
    except BaseException as error:
        outcome = type(error).__name__
        raise
    finally:
        AI_IN_FLIGHT.labels(kind).dec()
        AI_REQUESTS.labels(kind, outcome).inc()
        AI_LATENCY.labels(kind).observe(perf_counter() - started)


def multiprocess_dir() -> str | None:
    """The directory shared by the worker processes, when in multiprocess mode."""
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> bytes:
    """The text exposition of every metric: of all worker processes in multiprocess mode."""
    if multiprocess_dir() is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def forget_this_process() -> None:
    """In multiprocess mode, drop this process's live gauges (it is stopping)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
