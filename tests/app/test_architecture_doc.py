"""docs/architecture.md names only files and symbols that exist.

The page's convention (stated at its top): a backticked path from the
repository root, `path/to/file.py`, or a folder, `path/to/`; a symbol as
`path/to/file.py:Name` or `path/to/file.py:Class.method`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
SPAN = re.compile(r"`([^`\s]+)`")
PATH = re.compile(r"^(?P<path>[\w.-]+(?:/[\w.-]+)*/?)(?::(?P<symbol>[A-Za-z_]\w*(?:\.\w+)*))?$")
FILE_SUFFIX = re.compile(r"\.(py|md|js|html|css|toml|ini|lock)$")


def named_paths(text: str) -> list[tuple[str, str | None]]:
    """Every ``(path, symbol or None)`` the page names, by its convention."""
    named = []
    for span in SPAN.findall(text):
        match = PATH.match(span)
        if match is None or span.startswith("/"):
            continue
        path = match["path"]
        if "/" in path or FILE_SUFFIX.search(path):
            named.append((path, match["symbol"]))
    return named


def defines(path: Path, symbol: str) -> bool:
    """Whether the module at ``path`` defines ``symbol`` (``Name`` or ``Class.member``)."""
    body: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    *outer, last = symbol.split(".")
    for name in outer:
        classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name == name]
        if not classes:
            return False
        body = classes[0].body
    return any(last in _names(statement) for statement in body)


def _names(statement: ast.stmt) -> set[str]:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Assign):
        return {target.id for target in statement.targets if isinstance(target, ast.Name)}
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return {statement.target.id}
    return set()


def test_every_path_and_symbol_the_page_names_exists() -> None:
    named = named_paths(DOC.read_text(encoding="utf-8"))
    assert len(named) > 50, "the page should name the files it walks through"
    missing = []
    for path, symbol in named:
        target = ROOT / path
        if path.endswith("/"):
            if not target.is_dir():
                missing.append(f"{path}: no such folder")
        elif not target.is_file():
            missing.append(f"{path}: no such file")
        elif symbol is not None and not (path.endswith(".py") and defines(target, symbol)):
            missing.append(f"{path}:{symbol}: not defined there")
    assert not missing, "docs/architecture.md names what does not exist:\n" + "\n".join(missing)


def test_the_checker_reads_the_convention() -> None:
    text = "`bus/keys.py` `quart_app/` `bus/ai.py:AIRequester.request` `ai:queue:llm` `/api/ws`"
    assert named_paths(text) == [
        ("bus/keys.py", None),
        ("quart_app/", None),
        ("bus/ai.py", "AIRequester.request"),
    ]
    assert defines(ROOT / "bus" / "ai.py", "AIRequester.request")
    assert not defines(ROOT / "bus" / "ai.py", "AIRequester.no_such_method")
    assert not defines(ROOT / "bus" / "ai.py", "NoSuchClass")
