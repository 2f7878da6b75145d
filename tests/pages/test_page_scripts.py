"""The pages' scripts: one module of page helpers, and words in both languages for every
error code the service answers (HTTP, docs/contract.md §3, the socket's error frames, §6,
and the hands-free stream's, §7), so a Korean page never shows the server's English
message for one of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "quart_app" / "pages" / "static" / "js"
CONTRACT_DOC = ROOT / "docs" / "contract.md"
PAGE_HELPERS = ("$", "showError", "languagePicker", "localized")
"""What ``page.js`` holds for every page."""
PAGE_IMPORT = re.compile(r'^import \{[^}]*\$[^}]*\} from "\./page\.js";', re.MULTILINE)
DEFINITION = re.compile(r"^(?:export\s+)?(?:function|const|let|var)\s+([$\w]+)", re.MULTILINE)
HTTP_CODE = re.compile(r"(?:\| |, )`([a-z][a-z_]+)`")
"""A code in a row of §3's table: first in its cell, or after a comma."""
SOCKET_CODE = re.compile(r'"code":\s*((?:"[a-z_]+"[\s|]*)+)|error frame\s+`([a-z_]+)`')
"""A code of an error frame in §6: ``"code": "a" | "b"``, or "an error frame `c`"."""
STREAM_CLOSE = re.compile(r"^\s*\| \d{4} \| ([^|]+) \|", re.MULTILINE)
"""The codes cell of a row of §7's table of refusals."""
FRAME_LIST = re.compile(r"error\s+frame\s+\(([^)]*)\)")
"""A list of error frames' codes in §7: "an error frame (`a`, `b`)"."""


def section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def contract_error_codes() -> set[str]:
    text = CONTRACT_DOC.read_text(encoding="utf-8")
    table = [line for line in section(text, "## 3.").splitlines() if re.match(r"\| \d{3} ", line)]
    codes = {code for line in table for code in HTTP_CODE.findall(line)}
    for chain, single in SOCKET_CODE.findall(section(text, "## 6.")):
        codes.update(re.findall(r"[a-z_]+", chain) or [single])
    stream = section(text, "## 7.")
    for chain, single in SOCKET_CODE.findall(stream):
        codes.update(re.findall(r"[a-z_]+", chain) or [single])
    for cell in STREAM_CLOSE.findall(stream) + FRAME_LIST.findall(stream):
        codes.update(re.findall(r"`([a-z_]+)`", cell))
    return codes


def error_words(lang: str) -> set[str]:
    """The codes ``i18n.js`` has words for in ``lang``."""
    script = (SCRIPTS / "i18n.js").read_text(encoding="utf-8")
    errors = script[script.index("const ERRORS = {") :]
    block = re.search(rf"\n  {lang}: {{\n(.*?)\n  }},", errors, re.DOTALL)
    assert block is not None, f"i18n.js has no ERRORS.{lang}"
    return set(re.findall(r"^\s+([a-z_]+):", block[1], re.MULTILINE))


def test_the_contracts_codes_are_read_from_both_sections() -> None:
    codes = contract_error_codes()
    assert {"invalid_json", "validation_error", "bad_audio", "database_unavailable"} <= codes
    assert {"unknown_type", "frame_too_large", "too_many_connections"} <= codes
    assert {"invalid_start", "too_many_streams", "ai_unavailable", "idle", "ai_error"} <= codes
    assert not codes & {"details", "field", "message", "type"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_error_code_of_the_contract_has_words_in_each_language(lang: str) -> None:
    missing = sorted(contract_error_codes() - error_words(lang))
    assert missing == [], f"i18n.js ERRORS.{lang} has no words for {missing}"


def test_only_page_js_defines_the_page_helpers_and_both_pages_import_them() -> None:
    defined = {
        path.name: sorted(set(DEFINITION.findall(path.read_text())) & set(PAGE_HELPERS))
        for path in sorted(SCRIPTS.glob("*.js"))
    }
    assert defined.pop("page.js") == sorted(PAGE_HELPERS)
    assert {name: helpers for name, helpers in defined.items() if helpers} == {}
    for page in ("kiosk.js", "staff.js"):
        assert PAGE_IMPORT.search((SCRIPTS / page).read_text()), f"{page} does not import page.js"
