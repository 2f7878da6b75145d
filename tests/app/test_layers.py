"""The layering rules of docs/architecture.md, read from the source with ``ast``.

The direct rules check each module's own imports; the transitive ones follow
every import through the repository's modules, so a rule can't be dodged by a
module in between. One more test imports the lower layers in a fresh interpreter,
which also runs the packages' ``__init__`` modules the way Python does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import deque
from collections.abc import Iterable
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
REPOSITORY_PACKAGES = frozenset({"quart_app", "domain", "bus", "config", "ai_worker"})
WEB_FRAMEWORK = ("quart", "quart_schema", "quart_cors", "werkzeug", "hypercorn")
ABOVE_THE_SERVICES = (
    "quart_app.auth",
    "quart_app.extensions",
    "quart_app.blueprints",
    "quart_app.lifecycle",
    "quart_app.app",
    "quart_app.testing",
)


def module_name(path: Path) -> str:
    """The dotted name of the repository module at ``path``."""
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _source(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _resolved(name: str) -> str:
    """The repository module ``name`` lives in (``pkg.mod.Class`` is ``pkg.mod``), or the
    top-level name of a module from outside the repository."""
    parts = name.split(".")
    if parts[0] in REPOSITORY_PACKAGES:
        for end in range(len(parts), 0, -1):
            if _source(".".join(parts[:end])) is not None:
                return ".".join(parts[:end])
    return parts[0]


def reached(start: str) -> dict[str, str]:
    """Every module ``start`` imports, directly or through repository modules, each with
    the module that imports it on a shortest path from ``start`` (which maps to itself)."""
    seen = {start: start}
    waiting = deque([start])
    while waiting:
        current = waiting.popleft()
        source = _source(current) if current.split(".")[0] in REPOSITORY_PACKAGES else None
        if source is None:
            continue
        for name in sorted({_resolved(name) for name in imports(source)}):
            if name not in seen:
                seen[name] = current
                waiting.append(name)
    return seen


def _path(seen: dict[str, str], module: str) -> str:
    chain = [module]
    while seen[chain[-1]] != chain[-1]:
        chain.append(seen[chain[-1]])
    return " <- ".join(chain)


def offending_paths(
    package: Path, forbidden: Iterable[str], *, allowed: Iterable[str] = ()
) -> dict[str, list[str]]:
    """For each module of ``package`` that reaches a ``forbidden`` module (or, given
    ``allowed``, any module outside it), the import paths that get there."""
    forbidden, allowed = tuple(forbidden), tuple(allowed)
    found = {}
    for path in modules(package):
        seen = reached(module_name(path))
        bad = [
            name
            for name in seen
            if any(_within(name, top) for top in forbidden)
            or (allowed and not any(_within(name, top) for top in allowed))
        ]
        if bad:
            found[_relative(path)] = sorted(_path(seen, name) for name in bad)
    return found


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


def test_services_are_grouped_by_feature() -> None:
    flat = [
        path.name
        for path in (APP / "services").glob("*.py")
        if path.name.startswith(FEATURE_PREFIXES)
    ]
    assert flat == []


def test_the_domain_is_pure_all_the_way_down() -> None:
    assert offending_paths(ROOT / "domain", (), allowed=PURE) == {}


def test_services_reach_no_web_framework_request_glue_or_blueprint() -> None:
    """Services get user ids or the framework-free principal, never the request."""
    forbidden = (*WEB_FRAMEWORK, *ABOVE_THE_SERVICES)
    assert offending_paths(APP / "services", forbidden) == {}


@pytest.mark.parametrize("package", ["bus", "domain", "config"])
def test_the_lower_layers_never_reach_the_app(package: str) -> None:
    assert offending_paths(ROOT / package, ("quart_app", *WEB_FRAMEWORK)) == {}


def test_importing_the_lower_layers_loads_no_web_framework() -> None:
    """What Python really loads, packages' ``__init__`` modules included."""
    lower = [
        module_name(path)
        for package in (APP / "services", ROOT / "domain", ROOT / "bus", ROOT / "config")
        for path in modules(package)
    ]
    program = (
        "import importlib, json, sys\n"
        "before = set(sys.modules)\n"
        f"for name in {lower!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(run.stdout)
    assert [
        name
        for name in loaded
        if any(_within(name, top) for top in (*WEB_FRAMEWORK, *ABOVE_THE_SERVICES))
    ] == []
    assert "quart_app.services.auth.tokens" in loaded  # it did import what it checks


def test_the_import_reader_sees_what_it_checks() -> None:
    """The rules above would pass vacuously if ``imports`` or ``reached`` missed imports."""
    assert "quart_app.services.voice.analyze.VoiceService" in imports(APP / "lifecycle.py")
    assert "domain.errors" in imports(APP / "services" / "orders" / "errors.py")
    # The blueprint reaches the web framework through the request glue, two steps away.
    seen = reached("quart_app.blueprints.orders")
    assert _path(seen, "jwt") == (
        "jwt <- quart_app.services.auth.tokens <- quart_app.blueprints.orders"
    )
    assert "quart" in reached("quart_app.lifecycle")


def test_only_tests_import_the_testing_kit() -> None:
    importing = [
        _relative(path)
        for package in ("quart_app", "ai_worker", "bus", "domain", "config")
        for path in modules(ROOT / package)
        if APP / "testing" not in path.parents
        and any(_within(name, "quart_app.testing") for name in imports(path))
    ]
    assert importing == []
