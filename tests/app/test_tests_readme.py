"""tests/README.md maps the code to its tests: it names every folder of ``tests/`` and
``tests/support``'s every module, and every path it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "tests" / "README.md"
PACKAGES = ("tests", "quart_app", "bus", "domain", "config", "ai_worker", "examples", "bench")
TOP = tuple(f"{name}/" for name in (*PACKAGES, "docs"))


def _named_paths(text: str) -> set[str]:
    """Backticked paths in ``text`` (globs allowed); placeholders such as ``<area>`` are not."""
    quoted = re.findall(r"`([^`\s]+)`", text)
    return {name for name in quoted if name.startswith(TOP) and "<" not in name}


def _test_folders() -> set[str]:
    folders = (path.relative_to(ROOT) for path in (ROOT / "tests").rglob("*") if path.is_dir())
    return {
        f"{folder.as_posix()}/"
        for folder in folders
        if not any(part == "__pycache__" or part.startswith(".") for part in folder.parts)
    }


def _missing(names: set[str]) -> list[str]:
    return sorted(name for name in names if not any(ROOT.glob(name.rstrip("/"))))


def test_every_folder_of_the_tests_is_named() -> None:
    named = _named_paths(README.read_text(encoding="utf-8"))
    assert sorted(_test_folders() - named) == []


def test_every_support_module_is_named() -> None:
    named = _named_paths(README.read_text(encoding="utf-8"))
    modules = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests" / "support").glob("*.py")
        if path.name != "__init__.py"
    }
    assert sorted(modules - named) == []


def test_every_path_named_exists() -> None:
    assert _missing(_named_paths(README.read_text(encoding="utf-8"))) == []


def test_the_checks_see_a_missing_path_and_an_unnamed_folder() -> None:
    sample = "`tests/voice/` and `tests/nowhere/test_x.py`, `tests/orders/test_*_api.py`, `<a>`"
    named = _named_paths(sample)
    assert named == {"tests/voice/", "tests/nowhere/test_x.py", "tests/orders/test_*_api.py"}
    assert _missing(named) == ["tests/nowhere/test_x.py"]
    assert "tests/orders/" in _test_folders() - named
