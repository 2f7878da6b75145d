"""Connection counts across instances (docs/contract.md §2.5).

Each instance writes its counts and the ids of its connected users under
``ws:stats:<instance_id>`` with a TTL of ``stats_ttl`` and rewrites them every
third of it (sooner, coalesced, after connections change). A dead instance
stops rewriting and drops out when its key expires. The totals sum every live
key; distinct users are the union of the reported ids, exact at the cost of
one id list per instance (about 10 bytes a user).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from bus import Bus, BusError, keys
from domain.connections import ConnectionStats
from domain.orders import Role
from quart_app.services.realtime.server_frames import dumps

log = logging.getLogger(__name__)

Snapshot = Callable[[], tuple[ConnectionStats, list[str]]]


class StatsReporter:
    """Keeps this instance's counts under its key while the app serves."""

    def __init__(self, bus: Bus, instance_id: str, snapshot: Snapshot, *, ttl: float) -> None:
        self._bus = bus
        self._key = keys.ws_instance_stats(instance_id)
        self._snapshot = snapshot
        self._ttl = ttl
        self._changed = asyncio.Event()

    def changed(self) -> None:
        """Connections changed: report soon rather than at the next period."""
        self._changed.set()

    async def run(self) -> None:
        """Report now, then every ``ttl / 3`` or soon after a change, until cancelled."""
        coalesce = min(0.2, self._ttl / 10)
        period = self._ttl / 3 - coalesce
        while True:
            self._changed.clear()
            await self.report()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), period)
            # A burst of connects and disconnects becomes one write.
            await asyncio.sleep(coalesce)

    async def report(self) -> None:
        """Write the counts once; a bus failure is logged and retried next period."""
        counts, user_ids = self._snapshot()
        try:
            await self._bus.set(self._key, dumps({**counts, "user_ids": user_ids}), ttl=self._ttl)
        except BusError as error:
            log.warning("could not report WebSocket stats: %s", error)

    async def withdraw(self) -> None:
        """Remove this instance's key (it stops serving)."""
        with suppress(BusError):
            await self._bus.delete(self._key)


async def totals(bus: Bus) -> dict[str, Any]:
    """Counts summed over every instance whose key is live."""
    by_role = dict.fromkeys((role.value for role in Role), 0)
    total, instances, users = 0, 0, set[str]()
    found = await bus.scan(keys.WS_INSTANCE_STATS_PATTERN)
    for key, raw in zip(found, await bus.get_many(*found), strict=True):
        if raw is None:  # expired between SCAN and MGET
            continue
        try:
            count, roles, user_ids = _parse(raw)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring a malformed stats report under %s", key)
            continue
        total += count
        for role, role_count in roles.items():
            if role in by_role:
                by_role[role] += role_count
        users.update(user_ids)
        instances += 1
    return {"total": total, "by_role": by_role, "users": len(users), "instances": instances}


def _parse(raw: bytes) -> tuple[int, dict[str, int], list[str]]:
    report = json.loads(raw)
    roles = {str(role): int(count) for role, count in report["by_role"].items()}
    return int(report["total"]), roles, [str(user_id) for user_id in report["user_ids"]]
