"""What the Korean kiosk shows: catalog names in the page's language, and Hangul drawn with
the web font the app serves (this machine has no Korean font: without it, Hangul is boxes)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, Route, expect

from quart_app.pages.fonts.rebuild import SYLLABLE
from tests.support.browser_pages import Pages

AI_ROUND_TRIP_MS = 30_000
WEB_FONT = "Noto Sans KR"


def korean_kiosk(pages: Pages) -> Page:
    kiosk = pages.open("kiosk", "/")
    kiosk.get_by_test_id("lang").select_option("ko")
    expect(kiosk.locator(".menu-card").first).to_be_visible()
    return kiosk


def hangul_drawn(kiosk: Page) -> list[tuple[str, int, int]]:
    """For each element that draws Hangul of its own text: its text, how many syllables it
    has, and how many glyphs Chromium drew for it from the web font."""
    kiosk.evaluate("document.fonts.ready.then(() => true)")
    cdp = kiosk.context.new_cdp_session(kiosk)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    drawn = []
    pending = [cdp.send("DOM.getDocument", {"depth": -1, "pierce": False})["root"]]
    while pending:
        node: dict[str, Any] = pending.pop()
        children = node.get("children", [])
        pending.extend(children)
        own_text = "".join(child["nodeValue"] for child in children if child["nodeType"] == 3)
        syllables = len(SYLLABLE.findall(own_text))
        if node["nodeType"] != 1 or not syllables:
            continue
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        if not fonts:
            continue  # not rendered (hidden)
        glyphs = sum(font["glyphCount"] for font in fonts if font["familyName"] == WEB_FONT)
        drawn.append((own_text.strip(), syllables, glyphs))
    return drawn


def test_every_hangul_syllable_of_the_korean_kiosk_is_drawn_with_the_served_font(
    pages: Pages,
) -> None:
    kiosk = korean_kiosk(pages)
    kiosk.get_by_test_id("utterance").fill("프렌치 디너 그랜드 스타일 두 개 주세요")
    kiosk.get_by_test_id("send").click()
    expect(kiosk.get_by_test_id("assistant-reply")).to_contain_text(
        "주문할까요", timeout=AI_ROUND_TRIP_MS
    )

    drawn = hangul_drawn(kiosk)
    assert len(drawn) > 20  # headings, labels, menu cards, the conversation, the order
    missing = [
        (text, syllables, glyphs) for text, syllables, glyphs in drawn if glyphs != syllables
    ]
    assert not missing, f"Hangul not drawn with {WEB_FONT}: {missing}"
    assert pages.errors == []


def test_catalog_fields_follow_the_page_language_and_never_show_another(pages: Pages) -> None:
    def catalog_with_language_fields(route: Route) -> None:
        catalog = route.fetch().json()
        menu = catalog["menus"][0]
        menu["name_ko"] = f"{menu['name_ko']} 특선"
        menu["description_ko"] = ""  # no Korean description: a Korean page shows none
        menu["description_en"] = "In English, from description_en."
        route.fulfill(json=catalog)

    kiosk = pages.open("kiosk", "/")
    kiosk.route("**/api/menus", catalog_with_language_fields)
    kiosk.reload()
    kiosk.get_by_test_id("lang").select_option("ko")
    card = kiosk.locator(".menu-card").first
    expect(card.locator("strong")).to_have_text(re.compile(r" 특선$"))
    expect(card.locator(".description")).to_have_text("")
    style = kiosk.request.get("/api/menus").json()["menus"][0]["styles"][0]
    expect(card.locator(".style").first).to_contain_text(style["name_ko"])

    kiosk.get_by_test_id("lang").select_option("en")
    expect(card.locator(".description")).to_have_text("In English, from description_en.")
    expect(card.locator(".style").first).to_contain_text(style["name_en"])
