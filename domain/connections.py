"""Who is connected to this instance's WebSocket endpoint, indexed for fan-out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypedDict

from domain.errors import DomainError
from domain.orders import STAFF_ROLES, Role


@dataclass(frozen=True, slots=True)
class Connection:
    """One open socket, authenticated as ``user_id`` with ``role``."""

    connection_id: str
    user_id: str
    role: Role


class ConnectionStats(TypedDict):
    """Counts for ``GET /api/ws/stats``; ``by_role`` has every role, zeros included."""

    total: int
    by_role: dict[str, int]
    users: int


class ConnectionRegistry:
    """Open connections by id, by user and by role; every change is O(1).

    A user may hold many connections (several tabs or devices). The indexes
    use dicts as insertion-ordered sets, so listings come oldest first.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, Connection] = {}
        self._by_user: dict[str, dict[str, None]] = {}
        self._by_role: dict[Role, dict[str, None]] = {role: {} for role in Role}

    def add(self, connection_id: str, user_id: str, role: Role) -> Connection:
        """Register a connection; a :class:`DomainError` if the id is taken."""
        if connection_id in self._by_id:
            raise DomainError(f"connection {connection_id!r} is already registered")
        connection = Connection(connection_id, user_id, Role(role))
        self._by_id[connection_id] = connection
        self._by_user.setdefault(user_id, {})[connection_id] = None
        self._by_role[connection.role][connection_id] = None
        return connection

    def remove(self, connection_id: str) -> Connection | None:
        """Forget a connection; return it, or ``None`` if it was not registered."""
        connection = self._by_id.pop(connection_id, None)
        if connection is None:
            return None
        of_user = self._by_user[connection.user_id]
        del of_user[connection_id]
        if not of_user:
            del self._by_user[connection.user_id]
        del self._by_role[connection.role][connection_id]
        return connection

    def get(self, connection_id: str) -> Connection | None:
        """The connection with that id, if registered."""
        return self._by_id.get(connection_id)

    def connections_of(self, user_id: str) -> list[str]:
        """Ids of every connection of ``user_id``."""
        return list(self._by_user.get(user_id, ()))

    def connections_with_roles(self, roles: Iterable[Role]) -> list[str]:
        """Ids of every connection whose role is one of ``roles``."""
        return [cid for role in dict.fromkeys(roles) for cid in self._by_role[Role(role)]]

    def staff_connections(self) -> list[str]:
        """Ids of every cook, delivery and manager connection."""
        return self.connections_with_roles(role for role in Role if role in STAFF_ROLES)

    def stats(self) -> ConnectionStats:
        """Counts of connections in all, per role, and of distinct users."""
        return {
            "total": len(self._by_id),
            "by_role": {role.value: len(ids) for role, ids in self._by_role.items()},
            "users": len(self._by_user),
        }

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, connection_id: object) -> bool:
        return connection_id in self._by_id
