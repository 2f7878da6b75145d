"""Rebuild the pages' Korean web font: Noto Sans KR cut down to the Hangul the service uses.

Run from the repository root (``npm run font`` does the same) after adding Korean text
that KS X 1001 lacks::

    python3 quart_app/pages/fonts/rebuild.py

It packs the font package with npm and installs fontTools in a throwaway virtualenv (both by
package name, from the package registries), then writes ``static/fonts/noto-sans-kr-hangul.woff2``
and the font's licence next to it (SIL Open Font License 1.1: the subset may be redistributed
with it). The pages serve the subset themselves, so Hangul shows on a device without a Korean
font, offline.

The subset keeps every Hangul syllable of KS X 1001 (the 2,350 in everyday use, so what a
customer types is nearly always covered), the compatibility jamo, and every syllable any
tracked file writes: the pages, the catalog, the dialogue's replies, the test corpora.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

FONT_PACKAGE = "@expo-google-fonts/noto-sans-kr@0.4.3"
FONT_FILE = "package/400Regular/NotoSansKR_400Regular.ttf"
LICENSE_FILE = "package/LICENSE_FONT"
TOOLS = ("fonttools==4.69.1", "brotli==1.2.1")

ROOT = Path(__file__).resolve().parents[3]
FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
SUBSET = FONTS / "noto-sans-kr-hangul.woff2"
LICENSE = FONTS / "OFL.txt"

SYLLABLE = re.compile("[\uac00-\ud7a3]")
COMPATIBILITY_JAMO = range(0x3131, 0x318F)


def tracked_syllables() -> set[str]:
    """Every Hangul syllable in the repository's tracked text files."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    found: set[str] = set()
    for name in filter(None, listing.split("\0")):
        try:
            found.update(SYLLABLE.findall((ROOT / name).read_text(encoding="utf-8")))
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary files, or deleted in the work tree
    return found


def ks_x_1001_syllables() -> set[str]:
    """The 2,350 syllables of KS X 1001: exactly those EUC-KR encodes in two bytes."""
    return {
        chr(code)
        for code in range(0xAC00, 0xD7A4)
        if len(chr(code).encode("euc-kr", errors="ignore")) == 2
    }


def characters() -> str:
    jamo = {chr(code) for code in COMPATIBILITY_JAMO}
    return "".join(sorted(tracked_syllables() | ks_x_1001_syllables() | jamo))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        subprocess.run(["npm", "pack", "--silent", FONT_PACKAGE], cwd=work, check=True)
        with tarfile.open(next(work.glob("*.tgz"))) as package:
            package.extractall(
                work,
                members=[package.getmember(FONT_FILE), package.getmember(LICENSE_FILE)],
                filter="data",
            )
        subprocess.run([sys.executable, "-m", "venv", work / "venv"], check=True)
        subprocess.run([work / "venv/bin/pip", "install", "-q", *TOOLS], check=True)
        text = work / "characters.txt"
        text.write_text(characters(), encoding="utf-8")
        FONTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                work / "venv/bin/pyftsubset",
                work / FONT_FILE,
                f"--text-file={text}",
                "--flavor=woff2",
                f"--output-file={SUBSET}",
            ],
            check=True,
        )
        LICENSE.write_text((work / LICENSE_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    print(f"{SUBSET.relative_to(ROOT)}: {SUBSET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
