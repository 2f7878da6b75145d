"""docs/extending.md runs as written: the files its sections show, with their own tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "extending.md"
FILE_BLOCK = re.compile(r"```python\n# (?P<name>[\w/]+\.py)\n(?P<body>.*?)```", re.DOTALL)


def section(title: str) -> str:
    """The text of the guide's ``## title`` section, up to the next ``## `` heading."""
    text = GUIDE.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def shown_files(title: str) -> dict[str, str]:
    """Every code block of the section that starts with a ``# name.py`` line, by name."""
    return {match["name"]: match["body"] for match in FILE_BLOCK.finditer(section(title))}


@pytest.mark.parametrize(
    ("title", "names"),
    [
        ("Signals", ["kitchen_alerts.py", "test_kitchen_alerts.py"]),
        ("Testing it offline", ["test_greeting.py"]),
    ],
)
def test_the_files_a_section_shows_pass_their_own_tests(
    tmp_path: Path, title: str, names: list[str]
) -> None:
    files = shown_files(title)
    assert sorted(files) == names
    example = tmp_path / "example"
    example.mkdir()
    for name, body in files.items():
        (example / name).write_text(body)
    # A fresh pytest in the example's folder, as a team would run it: none of our conftest.
    pytest_run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
    asyncio = ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
    run = subprocess.run(
        [*pytest_run, *asyncio, f"--basetemp={tmp_path / 'runs'}", str(example)],
        cwd=example,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(example)},
        timeout=110,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


EXCERPT = re.compile(
    r"`(?P<path>examples/[\w/]+\.py)`\)?:\n\n```python\n(?P<body>.*?)```", re.DOTALL
)
"""A code block introduced by the example file it comes from: "... (`examples/x.py`):"."""


def shown_excerpts() -> list[tuple[str, str]]:
    """Every code block the guide introduces with the example file it comes from:
    ``(path, body)``."""
    return [(match["path"], match["body"]) for match in EXCERPT.finditer(GUIDE.read_text())]


def missing_lines(excerpt: str, source: str) -> list[str]:
    """The excerpt's lines that are not in ``source`` in the excerpt's order (the excerpt
    may leave lines out, such as docstrings; it may not change or reorder any)."""
    lines = [line.strip() for line in source.splitlines()]
    missing, position = [], 0
    for line in filter(None, (line.strip() for line in excerpt.splitlines())):
        try:
            position = lines.index(line, position) + 1
        except ValueError:
            missing.append(line)
    return missing


def test_the_examples_code_is_shown_as_it_is_in_examples() -> None:
    excerpts = shown_excerpts()
    assert {path for path, _ in excerpts} == {
        "examples/kudos/service.py",
        "examples/kudos/blueprint.py",
        "examples/kudos/tests/conftest.py",
        "examples/kudos/tests/test_kudos.py",
    }
    differing = {
        path: missing
        for path, body in excerpts
        if (missing := missing_lines(body, (ROOT / path).read_text()))
    }
    assert differing == {}, f"docs/extending.md shows code that is not in examples/: {differing}"


def test_an_excerpt_with_a_changed_or_reordered_line_is_told_apart() -> None:
    source = "def f():\n    '''Doc.'''\n    a = 1\n    return a\n"
    assert missing_lines("def f():\n    a = 1\n    return a\n", source) == []
    assert missing_lines("def f():\n    a = 2\n", source) == ["a = 2"]
    assert missing_lines("return a\na = 1\n", source) == ["a = 1"]
    assert missing_lines("def f():\n    b = 0\n    return a\n", source) == ["b = 0"]
