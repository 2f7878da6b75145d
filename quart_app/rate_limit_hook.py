"""The hook that spends a caller's budget before a limited view (the AI endpoints,
placing an order) runs.

The limiter itself (:mod:`quart_app.services.ratelimit.limiter`) opens with
the app (:mod:`quart_app.lifecycle`); :func:`budgets` names what it limits.

It runs before the body is read, so a refused 25 MiB upload costs nothing
more; a refusal is 429 ``rate_limited`` with ``Retry-After`` (whole seconds)
and ``details`` naming the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from quart import Quart, request

from bus import BusUnavailable
from config import Settings
from config.rate_limit_syntax import RateLimit
from domain.orders import check_may_order
from quart_app.auth import optional_principal
from quart_app.extensions import get_optional_rate_limiter, get_rate_limiter, get_settings
from quart_app.observability.metrics import RATE_LIMITED
from quart_app.services.auth.tokens import Principal
from quart_app.services.ratelimit.callers import TrustedProxies, guest_key, member_key
from quart_app.services.ratelimit.limiter import RateLimited, Refusal
from quart_app.services.voice.analyze import OrderPermit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Budget:
    """The limit of one endpoint, under the name that 429s and metrics use."""

    name: str
    limit: RateLimit
    without_bus: bool = False
    """Whether the view runs when the counters cannot be reached (placing an order needs
    no bus: a Redis outage must not stop orders)."""


def budgets(settings: Settings) -> dict[str, Budget]:
    """The rate-limited views (endpoint names) and their budgets (docs/contract.md §5)."""
    return {
        "voice.analyze": Budget("analyze", settings.rate_limit_analyze),
        "voice.speech_to_text": Budget("stt", settings.rate_limit_stt),
        "media.generate_image": Budget("generate_image", settings.rate_limit_image),
        # Each order placed is broadcast to every staff member.
        "orders.place_order": Budget("place_order", settings.rate_limit_orders, without_bus=True),
    }


def install_rate_limits(
    app: Quart, budgets: Mapping[str, Budget], trusted_proxies: TrustedProxies
) -> None:
    """Limit the views named in ``budgets`` (endpoint name -> budget) per caller."""

    @app.before_request
    async def _spend_budget() -> None:
        budget = budgets.get(request.endpoint or "")
        if budget is None:
            return
        await charge(budget, request_caller(optional_principal(), trusted_proxies))


def request_caller(
    principal: Principal | None, trusted_proxies: TrustedProxies | None = None
) -> str:
    """Whose budget this request spends (``TRUSTED_PROXIES`` unless given)."""
    if trusted_proxies is None:
        trusted_proxies = TrustedProxies(get_settings().trusted_proxies)
    return caller_key(
        principal, trusted_proxies, request.remote_addr, request.headers.get("X-Forwarded-For")
    )


async def charge(budget: Budget, caller: str) -> None:
    """Spend one unit of ``caller``'s ``budget``; :class:`RateLimited` past it."""
    try:
        refusal = await spend(budget.name, caller)
    except BusUnavailable as error:
        if not budget.without_bus:
            raise
        log.warning("%s not counted: %s", budget.name, error)
        return
    if refusal is not None:
        raise RateLimited(refusal)


def order_permit(principal: Principal | None, caller: Callable[[], str]) -> OrderPermit:
    """What a voice turn asks just before it places an order: that the caller is no staff
    member (as ``POST /api/orders`` refuses them) and has ``place_order`` budget left
    (``caller()``'s, worked out only then: most turns place nothing)."""

    async def permit() -> None:
        check_may_order(None if principal is None else principal.role)
        if get_optional_rate_limiter() is not None:
            await charge(budgets(get_settings())["orders.place_order"], caller())

    return permit


def caller_key(
    principal: Principal | None,
    trusted_proxies: TrustedProxies,
    peer: str | None,
    forwarded_for: str | None,
) -> str:
    """Whose budget a request spends: a member's by the token, a guest's by address."""
    if principal is not None:
        return member_key(principal.user_id)
    return guest_key(trusted_proxies.client_address(peer, forwarded_for))


async def spend(name: str, caller: str) -> Refusal | None:
    """Spend one unit of ``caller``'s budget ``name`` (counted in the metrics when refused)."""
    refusal = await get_rate_limiter().hit(name, caller)
    if refusal is not None:
        RATE_LIMITED.labels(name).inc()
    return refusal
