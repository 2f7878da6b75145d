"""The Korean web font the pages serve (a subset of Noto Sans KR) and what goes into it."""

from __future__ import annotations

import re
from pathlib import Path

from quart.testing import QuartClient

from quart_app.pages.fonts.rebuild import SYLLABLE, characters, ks_x_1001_syllables

PAGES = Path(__file__).resolve().parents[2] / "quart_app" / "pages"
SUBSET_AT_MOST = 256 * 1024  # the whole font is 6 MB


async def test_the_stylesheet_serves_the_font_subset_with_its_licence(client: QuartClient) -> None:
    css = await (await client.get("/static/app.css")).get_data(as_text=True)
    assert re.findall(r'url\("([^"]+)"\)', css) == ["fonts/noto-sans-kr-hangul.woff2"]
    font = await client.get("/static/fonts/noto-sans-kr-hangul.woff2")
    assert font.status_code == 200
    assert font.mimetype == "font/woff2"
    body = await font.get_data()
    assert body[:4] == b"wOF2"
    assert len(body) <= SUBSET_AT_MOST
    licence = await client.get("/static/fonts/OFL.txt")
    assert "SIL OPEN FONT LICENSE Version 1.1" in await licence.get_data(as_text=True)


def test_the_subset_takes_the_common_syllables_and_every_one_the_pages_write() -> None:
    common = ks_x_1001_syllables()
    assert len(common) == 2350
    assert {"가", "한", "글"} <= common
    assert "똠" not in common  # a syllable KS X 1001 lacks
    chosen = set(characters())
    written = [*PAGES.rglob("*.js"), *PAGES.rglob("*.html")]
    pages_text = "".join(path.read_text(encoding="utf-8") for path in written)
    assert len(written) > 5
    assert set(SYLLABLE.findall(pages_text)) <= chosen
    assert common <= chosen
