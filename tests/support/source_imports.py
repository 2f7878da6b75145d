"""What a source file imports, read with ``ast``: for the layering and test-layout checks."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root."""


def modules(package: Path) -> Iterator[Path]:
    yield from sorted(package.rglob("*.py"))


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, including ``from x import y`` as ``x.y``."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(path, node)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = path.relative_to(ROOT).parent.parts
    parts = [*package[: len(package) - node.level + 1], *([node.module] if node.module else [])]
    return ".".join(parts)
