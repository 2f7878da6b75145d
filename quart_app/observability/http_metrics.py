"""Count every HTTP request by route template and status, and time it."""

from __future__ import annotations

from time import perf_counter

from quart import Quart, Response, g, request

from quart_app.observability.metrics import (
    HTTP_LATENCY,
    HTTP_REQUESTS,
    KNOWN_METHODS,
    OTHER_METHOD,
    UNMATCHED_ROUTE,
)


def record_http_metrics(app: Quart) -> None:
    """Install the hooks; a route is labelled by its template (``/api/orders/<order_id>``),
    a method by its name if it is a known one; every label has a bounded set of values."""

    @app.before_request
    async def _start_clock() -> None:
        g.metrics_started = perf_counter()

    @app.after_request
    async def _count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        method = request.method if request.method in KNOWN_METHODS else OTHER_METHOD
        HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            HTTP_LATENCY.labels(method, route).observe(perf_counter() - started)
        return response
