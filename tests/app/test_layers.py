"""The layering rules of docs/architecture.md, read from the source with ``ast``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.source_imports import ROOT, imports, modules

APP = ROOT / "quart_app"
FEATURE_PREFIXES = ("voice_", "realtime_", "order_", "notification_")
PURE = frozenset(
    {
        "__future__",
        "collections",
        "copy",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "functools",
        "itertools",
        "math",
        "re",
        "time",
        "typing",
        "domain",
    }
)
"""What ``domain/`` may import: the standard library's pure parts and itself."""


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_blueprints_are_registered_only_in_create_app() -> None:
    registering = [
        _relative(path)
        for package in (APP, ROOT / "bench", ROOT / "ai_worker")
        for path in modules(package)
        if "register_blueprint" in path.read_text()
    ]
    assert registering == ["quart_app/app.py"]


@pytest.mark.parametrize(
    ("marker", "home"),
    [
        ("while_serving", "quart_app/lifecycle.py"),
        ("before_serving", None),
        ("errorhandler", "quart_app/error_handlers.py"),
        ("register_error_handler", "quart_app/error_handlers.py"),
    ],
)
def test_resources_open_in_lifecycle_and_errors_map_in_error_handlers(
    marker: str, home: str | None
) -> None:
    using = [_relative(path) for path in modules(APP) if f".{marker}" in path.read_text()]
    assert using == ([home] if home else [])


@pytest.mark.parametrize("layer", ["schemas", "models"])
def test_schemas_and_models_import_no_service_blueprint_or_lifecycle(layer: str) -> None:
    upward = ("quart_app.services", "quart_app.blueprints", "quart_app.lifecycle", "quart_app.app")
    offending = {
        _relative(path): sorted(
            name for name in imports(path) if any(_within(name, up) for up in upward)
        )
        for path in modules(APP / layer)
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_services_import_no_blueprint_lifecycle_or_app() -> None:
    upward = (
        "quart_app.blueprints",
        "quart_app.lifecycle",
        "quart_app.app",
        "quart_app.extensions",
    )
    offending = {
        _relative(path): sorted(
            name for name in imports(path) if any(_within(name, up) for up in upward)
        )
        for path in modules(APP / "services")
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_services_are_grouped_by_feature() -> None:
    flat = [
        path.name
        for path in (APP / "services").glob("*.py")
        if path.name.startswith(FEATURE_PREFIXES)
    ]
    assert flat == []


def test_the_domain_is_pure() -> None:
    offending = {
        _relative(path): sorted(name for name in imports(path) if name.split(".")[0] not in PURE)
        for path in modules(ROOT / "domain")
    }
    assert {path: names for path, names in offending.items() if names} == {}


@pytest.mark.parametrize("package", ["bus", "domain"])
def test_bus_and_domain_import_nothing_from_the_app(package: str) -> None:
    offending = {
        _relative(path): sorted(name for name in imports(path) if _within(name, "quart_app"))
        for path in modules(ROOT / package)
    }
    assert {path: names for path, names in offending.items() if names} == {}


def test_the_import_reader_sees_what_it_checks() -> None:
    """The rules above would pass vacuously if ``imports`` missed imports."""
    assert "quart_app.services.voice.analyze.VoiceService" in imports(APP / "lifecycle.py")
    assert "domain.errors" in imports(APP / "services" / "orders" / "errors.py")


def test_only_tests_import_the_testing_kit() -> None:
    importing = [
        _relative(path)
        for package in ("quart_app", "ai_worker", "bus", "domain", "config")
        for path in modules(ROOT / package)
        if APP / "testing" not in path.parents
        and any(_within(name, "quart_app.testing") for name in imports(path))
    ]
    assert importing == []
