"""The Bus interface is what the app uses: every method of ``bus.base.Bus`` is used by
the service, the AI Server or the bus package itself, outside the implementations,
directly or queued on a ``bus.base.Batch`` (whose commands are the bus's methods)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USERS = ("quart_app", "ai_worker", "bus")
IMPLEMENTATIONS = {"bus/base.py", "bus/memory.py", "bus/redis.py"}


def _bus_methods() -> set[str]:
    tree = ast.parse((ROOT / "bus/base.py").read_text(encoding="utf-8"))
    bus = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Bus")
    functions = ast.FunctionDef | ast.AsyncFunctionDef
    methods = (node for node in bus.body if isinstance(node, functions))
    return {method.name for method in methods if not method.name.startswith("_")}


def _used_on_a_bus() -> set[str]:
    """Names of attributes read on an expression that names a bus or a batch
    (``bus.push``, ``self._bus.items``, ``get_bus().ping``, ``batch.expire``) in
    non-test code."""
    used: set[str] = set()
    for package in USERS:
        for path in (ROOT / package).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() in IMPLEMENTATIONS:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and _names_a_bus(node.value):
                    used.add(node.attr)
    return used


def _names_a_bus(expression: ast.expr) -> bool:
    text = ast.unparse(expression).lower()
    return "bus" in text or "batch" in text


def test_the_scan_sees_the_methods_and_the_uses() -> None:
    assert {"push", "pop_into", "items", "lock", "log_after"} <= _bus_methods()
    assert {"push", "pop_into", "lock", "log_after"} <= _used_on_a_bus()


def test_every_method_of_the_bus_is_used_outside_tests() -> None:
    unused = _bus_methods() - _used_on_a_bus()

    assert not unused, (
        f"Bus methods no service, worker or bus module uses: {sorted(unused)}; "
        "a helper only tests need belongs in tests/support"
    )
