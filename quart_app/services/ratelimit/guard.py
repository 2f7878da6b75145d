"""The hook that spends a caller's budget before an AI endpoint's view runs.

It runs before the body is read, so a refused 25 MiB upload costs nothing
more; a refusal is 429 ``rate_limited`` with ``Retry-After`` (whole seconds)
and ``details`` naming the limit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

from quart import Quart, request

from config.rate_limits import RateLimit
from quart_app.auth import optional_principal
from quart_app.errors import ApiError
from quart_app.extensions import get_bus, get_extension
from quart_app.observability.metrics import RATE_LIMITED
from quart_app.services.ratelimit.callers import TrustedProxies, guest_key, member_key
from quart_app.services.ratelimit.limiter import RateLimiter, Refusal, storage_for

log = logging.getLogger(__name__)

RATE_LIMITER = "rate_limiter"


@dataclass(frozen=True, slots=True)
class Budget:
    """The limit of one endpoint, under the name that 429s and metrics use."""

    name: str
    limit: RateLimit


def install_rate_limits(
    app: Quart, budgets: Mapping[str, Budget], trusted_proxies: TrustedProxies
) -> None:
    """Limit the views named in ``budgets`` (endpoint name -> budget) per caller."""
    by_name = {budget.name: budget.limit for budget in budgets.values()}

    @app.while_serving
    async def _limiter() -> AsyncGenerator[None, None]:
        app.extensions[RATE_LIMITER] = RateLimiter(storage_for(get_bus()), by_name)
        yield
        del app.extensions[RATE_LIMITER]

    @app.before_request
    async def _spend_budget() -> None:
        budget = budgets.get(request.endpoint or "")
        if budget is None:
            return
        limiter: RateLimiter = get_extension(RATE_LIMITER)
        refusal = await limiter.hit(budget.name, _caller(trusted_proxies))
        if refusal is not None:
            RATE_LIMITED.labels(budget.name).inc()
            raise _too_many(refusal)


def _caller(trusted_proxies: TrustedProxies) -> str:
    principal = optional_principal()
    if principal is not None:
        return member_key(principal.user_id)
    address = trusted_proxies.client_address(
        request.remote_addr, request.headers.get("X-Forwarded-For")
    )
    return guest_key(address)


def _too_many(refusal: Refusal) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"Too many {refusal.endpoint} requests: at most {refusal.limit.amount} every "
        f"{refusal.limit.seconds} s. Retry in {refusal.retry_after} s.",
        {
            "limit": refusal.endpoint,
            "amount": refusal.limit.amount,
            "period_seconds": refusal.limit.seconds,
            "retry_after": refusal.retry_after,
        },
        headers={"Retry-After": str(refusal.retry_after)},
    )
