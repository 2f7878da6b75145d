"""docs/extending.md runs as written: the files its sections show, with their own tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def test_the_signals_example_passes_its_own_test(tmp_path: Path) -> None:
    files = shown_files("Signals")
    assert sorted(files) == ["kitchen_alerts.py", "test_kitchen_alerts.py"]
    example = tmp_path / "example"
    example.mkdir()
    for name, body in files.items():
        (example / name).write_text(body)
    # A fresh pytest in the example's folder, as a team would run it: none of our conftest.
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
    asyncio = ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
    run = subprocess.run(
        [*pytest, *asyncio, f"--basetemp={tmp_path / 'runs'}", str(example)],
        cwd=example,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(example)},
        timeout=110,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
