"""The repository cites only itself: no path outside it, and only sections docs/contract.md has;
the contract's queue table lists every queue."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bus.keys import AI_REQUEST_KINDS, ai_queue

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "contract.md"
OUTSIDE = re.compile(r"\.\./shared|\bCONTRACT\b|PITFALLS")
"""What a citation of a file outside the repository looks like (a clone has none of them)."""
QUOTED_LICENCES = {"quart_app/pages/static/fonts/OFL.txt"}
"""Third-party licences kept word for word: their "CONTRACT" is the legal word, not a citation."""
SECTION = r"§(\d+(?:\.\d+)?)"
SECTION_CITATION = re.compile(r"docs/contract\.md`{0,2}\s+((?:§[\d.]+(?:,|\s|and|to)*)+)")
SECTION_HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", re.MULTILINE)


def tracked_texts() -> Iterator[tuple[str, str]]:
    """Every tracked text file: its path and its content."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree, not yet committed
            continue
        try:
            yield name, path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images, audio


def contract_sections() -> set[str]:
    return set(SECTION_HEADING.findall(CONTRACT.read_text(encoding="utf-8")))


def test_no_tracked_file_cites_a_path_outside_the_repository() -> None:
    this = Path(__file__).relative_to(ROOT).as_posix()
    offenders = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for name, text in tracked_texts()
        if name != this and name not in QUOTED_LICENCES
        for match in OUTSIDE.finditer(text)
    ]
    assert not offenders, "cite docs/contract.md sections instead:\n" + "\n".join(offenders)


def test_every_cited_contract_section_exists() -> None:
    sections = contract_sections()
    missing = [
        f"{name}: §{number}"
        for name, text in tracked_texts()
        for citation in SECTION_CITATION.finditer(text)
        for number in re.findall(SECTION, citation.group(1))
        if number not in sections
    ]
    inside = CONTRACT.read_text(encoding="utf-8")
    missing += [f"docs/contract.md: §{n}" for n in re.findall(SECTION, inside) if n not in sections]
    assert not missing, f"docs/contract.md has no such section: {missing}"


def test_the_contract_numbers_its_sections() -> None:
    sections = contract_sections()
    assert {"1", "1.2", "2.1", "3", "4", "5", "6", "7", "8", "9"} <= sections


def test_the_contract_s_queue_table_has_a_row_for_every_kind_of_request() -> None:
    """§1.1 lists every queue the service pushes on (``ai:queue:stt_stream`` was only in §1.5)."""
    text = CONTRACT.read_text(encoding="utf-8")
    table = text[text.index("### 1.1 Queues") : text.index("### 1.2")]
    rows = {
        cells[1].strip().strip("`"): cells[0].strip()
        for line in table.splitlines()
        if line.startswith("| ") and (cells := line.strip("|").split("|"))
    }

    assert {kind: rows.get(ai_queue(kind)) for kind in AI_REQUEST_KINDS} == {
        kind: kind for kind in AI_REQUEST_KINDS
    }
