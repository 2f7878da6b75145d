"""Rate limits as configuration: ``"60/minute"``, ``"5/10seconds"``, ``"1000/day"``."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``amount`` requests per ``seconds`` (a fixed window of that length)."""

    amount: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.amount}/{self.seconds}s"


def parse_rate_limit(text: str) -> RateLimit:
    """``"N/unit"`` or ``"N/Munits"`` (unit: second, minute, hour, day); ValueError otherwise."""
    match = _LIMIT.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate like 60/minute, 5/10seconds or 1000/day")
    amount, multiple, unit = match.groups()
    seconds = int(multiple or 1) * UNITS[unit.lower()]
    if int(amount) < 1 or seconds < 1:
        raise ValueError(f"{text!r}: the amount and the period must be at least 1")
    return RateLimit(int(amount), seconds)
