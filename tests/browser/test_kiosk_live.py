"""The kiosk's socket, once an order is placed: what the server says went wrong reaches the
guest by its code, in the kiosk's language.

Playwright stands between the page and ``/api/ws`` (``route_web_socket``, through the
``line`` fixture) and hands the page a frame of the server's kind.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browser_pages import SOCKET, Line, Pages

AI_ROUND_TRIP_MS = 30_000
FOLLOWED = re.compile(r"/api/orders/[0-9a-f]{32}$")  # read once the order's socket is connected


def kiosk_following_its_order(pages: Pages, line: Line, lang: str) -> Page:
    """A kiosk in ``lang`` that has placed an order and follows it over its socket."""
    kiosk = pages.open("kiosk", "/")
    kiosk.route_web_socket(SOCKET, line.relay)
    kiosk.get_by_test_id("lang").select_option(lang)
    kiosk.get_by_test_id("utterance").fill("Two French dinners, grand style please.")
    kiosk.get_by_test_id("send").click()
    expect(kiosk.locator("#confirm")).to_be_visible(timeout=AI_ROUND_TRIP_MS)
    with kiosk.expect_response(FOLLOWED, timeout=AI_ROUND_TRIP_MS):
        kiosk.locator("#confirm").click()
    expect(kiosk.get_by_test_id("order-status")).to_have_attribute("data-status", "pending")
    return kiosk


def test_an_error_frame_is_shown_by_its_code_in_the_kiosks_language(
    pages: Pages, line: Line
) -> None:
    kiosk = kiosk_following_its_order(pages, line, "en")
    line.tell_the_page({"type": "error", "code": "frame_too_large", "message": "Too large."})
    expect(kiosk.get_by_role("alert")).to_have_text(
        "A message sent over the live connection was too large."
    )

    kiosk.get_by_test_id("lang").select_option("ko")  # the error shown follows the language
    expect(kiosk.get_by_role("alert")).to_have_text("실시간 연결로 보낸 메시지가 너무 커요.")
    assert pages.errors == []


def test_an_error_frame_with_a_code_the_kiosk_does_not_know_shows_the_servers_message(
    pages: Pages, line: Line
) -> None:
    kiosk = kiosk_following_its_order(pages, line, "ko")
    line.tell_the_page({"type": "error", "code": "brand_new", "message": "Something new."})
    expect(kiosk.get_by_role("alert")).to_have_text("Something new.")
