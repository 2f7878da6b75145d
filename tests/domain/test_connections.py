from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import STAFF_ROLES, Connection, ConnectionRegistry, DomainError, Role
from tests.support.strategies import roles


@pytest.fixture
def registry() -> ConnectionRegistry:
    registry = ConnectionRegistry()
    registry.add("c1", "7", Role.CUSTOMER)
    registry.add("c2", "7", Role.CUSTOMER)
    registry.add("c3", "20", Role.COOK)
    registry.add("c4", "30", Role.DELIVERY)
    registry.add("c5", "1", Role.MANAGER)
    return registry


def test_a_user_may_hold_many_connections(registry: ConnectionRegistry) -> None:
    assert registry.connections_of("7") == ["c1", "c2"]
    assert registry.connections_of("nobody") == []


def test_get(registry: ConnectionRegistry) -> None:
    assert registry.get("c3") == Connection("c3", "20", Role.COOK)
    assert registry.get("c9") is None
    assert "c3" in registry


def test_by_role(registry: ConnectionRegistry) -> None:
    assert registry.connections_with_roles([Role.COOK, Role.MANAGER]) == ["c3", "c5"]
    assert registry.connections_with_roles([]) == []


def test_staff_connections(registry: ConnectionRegistry) -> None:
    assert sorted(registry.staff_connections()) == ["c3", "c4", "c5"]


def test_remove_forgets_everywhere(registry: ConnectionRegistry) -> None:
    removed = registry.remove("c1")
    assert removed == Connection("c1", "7", Role.CUSTOMER)
    assert registry.connections_of("7") == ["c2"]
    assert registry.get("c1") is None
    assert len(registry) == 4


def test_removing_a_users_last_connection_drops_the_user(registry: ConnectionRegistry) -> None:
    registry.remove("c3")
    assert registry.stats()["users"] == 3
    assert registry.connections_with_roles([Role.COOK]) == []


def test_removing_an_unknown_id_is_a_no_op(registry: ConnectionRegistry) -> None:
    assert registry.remove("c9") is None
    assert len(registry) == 5


def test_an_id_is_registered_once(registry: ConnectionRegistry) -> None:
    with pytest.raises(DomainError):
        registry.add("c1", "8", Role.COOK)
    assert registry.get("c1") == Connection("c1", "7", Role.CUSTOMER)


def test_stats(registry: ConnectionRegistry) -> None:
    assert registry.stats() == {
        "total": 5,
        "by_role": {"customer": 2, "cook": 1, "delivery": 1, "manager": 1},
        "users": 4,
    }


def test_stats_of_an_empty_registry_list_every_role() -> None:
    assert ConnectionRegistry().stats() == {
        "total": 0,
        "by_role": {"customer": 0, "cook": 0, "delivery": 0, "manager": 0},
        "users": 0,
    }


user_ids = st.sampled_from(["1", "2", "3"])
connection_ids = st.sampled_from([f"c{n}" for n in range(6)])
operations = st.lists(st.tuples(st.booleans(), connection_ids, user_ids, roles), max_size=40)


@given(operations)
def test_indexes_agree_with_a_plain_model(ops: list[tuple[bool, str, str, Role]]) -> None:
    registry = ConnectionRegistry()
    model: dict[str, tuple[str, Role]] = {}
    for adding, connection_id, user_id, role in ops:
        if adding and connection_id not in model:
            registry.add(connection_id, user_id, role)
            model[connection_id] = (user_id, role)
        elif not adding:
            registry.remove(connection_id)
            model.pop(connection_id, None)
    assert len(registry) == len(model)
    for user_id in ["1", "2", "3"]:
        expected = {cid for cid, (uid, _role) in model.items() if uid == user_id}
        assert set(registry.connections_of(user_id)) == expected
    staff = {cid for cid, (_uid, role) in model.items() if role in STAFF_ROLES}
    assert set(registry.staff_connections()) == staff
    stats = registry.stats()
    assert stats["users"] == len({uid for uid, _role in model.values()})
    assert sum(stats["by_role"].values()) == stats["total"] == len(model)
