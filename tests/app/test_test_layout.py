"""Tests share code only through ``tests/support``: no test module imports another, nor a
conftest; ``bench/`` may use ``tests.support`` and nothing else of ``tests``; tests never
import ``bench``. Read from the source with ``ast``."""

from __future__ import annotations

from pathlib import Path

from tests.support.source_imports import ROOT, imports, modules

TESTS = ROOT / "tests"
SUPPORT = TESTS / "support"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _forbidden(name: str) -> bool:
    """Whether code outside ``tests/support`` may not import ``name``: any part of the
    tests but the support package (conftest files included), and any conftest."""
    if "conftest" in name.split("."):
        return True
    return _within(name, "tests") and not _within(name, "tests.support") and name != "tests"


def _offences(paths: list[Path], allowed: str | None = None) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(
            name
            for name in imports(path)
            if _forbidden(name) or (_within(name, "bench") and allowed != "bench")
        )
        if bad:
            found[str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)] = bad
    return found


def test_no_test_module_imports_another_test_module_a_conftest_or_bench() -> None:
    tests = [path for path in modules(TESTS) if not path.is_relative_to(SUPPORT)]
    assert _offences(tests) == {}


def test_the_support_package_imports_no_test_module_and_no_bench() -> None:
    assert _offences(list(modules(SUPPORT))) == {}


def test_bench_imports_only_the_support_package_of_the_tests() -> None:
    assert _offences(list(modules(ROOT / "bench")), allowed="bench") == {}


def test_the_check_sees_each_kind_of_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "from bench.common import SECRET\n"
        "from tests.voice.test_analyze import say\n"
        "import tests.bus.conftest\n"
        "from conftest import bearer\n"
        "from tests.support.tokens import bearer as allowed\n"
    )
    assert _offences([sample]) == {
        str(sample): [
            "bench.common",
            "bench.common.SECRET",
            "conftest",
            "conftest.bearer",
            "tests.bus.conftest",
            "tests.voice.test_analyze",
            "tests.voice.test_analyze.say",
        ]
    }
    assert _offences([sample], allowed="bench") == {
        str(sample): [
            "conftest",
            "conftest.bearer",
            "tests.bus.conftest",
            "tests.voice.test_analyze",
            "tests.voice.test_analyze.say",
        ]
    }
