"""A customer orders at the kiosk, by typing in Korean or speaking English; the order
reaches a staff board in another window; the board moves it along; the kiosk shows it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browser_pages import Pages, Speech

AI_ROUND_TRIP_MS = 30_000
ORDER_ID = re.compile(r"^[0-9a-f]{32}$")


def sign_in(board: Page, user_id: str, role: str) -> None:
    board.get_by_test_id("login-user").fill(user_id)
    board.get_by_test_id("login-role").select_option(role)
    board.get_by_test_id("login").click()
    expect(board.get_by_test_id("ws-state")).to_have_text("connected")


def board_and_kiosk(pages: Pages, user_id: str, role: str, lang: str) -> tuple[Page, Page]:
    """A board signed in as ``user_id``, then a kiosk in ``lang``, in two windows."""
    board = pages.open("board", "/staff")
    sign_in(board, user_id, role)
    kiosk = pages.open("kiosk", "/")
    kiosk.get_by_test_id("lang").select_option(lang)
    return board, kiosk


def ordered(kiosk: Page, text: str, summary: str) -> None:
    """Say ``text``; the order being built then shows ``summary``."""
    say(kiosk, text)
    expect(kiosk.get_by_test_id("order-summary")).to_contain_text(summary, timeout=AI_ROUND_TRIP_MS)


def say(kiosk: Page, text: str) -> None:
    kiosk.get_by_test_id("utterance").fill(text)
    kiosk.get_by_test_id("send").click()


def placed_order_id(kiosk: Page) -> str:
    order_id = kiosk.get_by_test_id("order-id")
    expect(order_id).to_have_text(ORDER_ID, timeout=AI_ROUND_TRIP_MS)
    return order_id.inner_text()


def step(board: Page, kiosk: Page, order_id: str, status: str) -> None:
    """Take the step on the board; the card and the kiosk both show the new status."""
    card = board.locator(f'[data-testid="order-card"][data-order-id="{order_id}"]')
    card.get_by_test_id(f"step-{status}").click()
    expect(card.get_by_test_id("order-card-status")).to_have_attribute("data-status", status)
    expect(kiosk.get_by_test_id("order-status")).to_have_attribute("data-status", status)


def test_a_typed_korean_order_is_cooked_on_the_board(pages: Pages) -> None:
    board, kiosk = board_and_kiosk(pages, "cook-1", "cook", "ko")

    ordered(kiosk, "프렌치 디너 그랜드 스타일 두 개 주세요", "프렌치 디너")
    expect(kiosk.get_by_test_id("order-summary")).to_contain_text("106,000")
    expect(kiosk.get_by_test_id("assistant-reply")).to_contain_text("주문할까요")
    say(kiosk, "네, 주문할게요")
    order_id = placed_order_id(kiosk)
    expect(kiosk.get_by_test_id("order-status")).to_have_attribute("data-status", "pending")

    card = board.locator(f'[data-testid="order-card"][data-order-id="{order_id}"]')
    expect(card).to_be_visible()
    expect(card.get_by_test_id("order-card-status")).to_have_attribute("data-status", "pending")
    expect(card.get_by_test_id("step-cancelled")).to_have_count(0)  # a cook may not cancel
    step(board, kiosk, order_id, "accepted")
    step(board, kiosk, order_id, "cooking")
    expect(kiosk.get_by_test_id("order-status")).to_have_text("조리 중")
    step(board, kiosk, order_id, "ready")
    expect(card.locator("[data-testid^=step-]")).to_have_count(0)  # delivery is not a cook's

    assert pages.errors == []


def test_a_spoken_english_order_reaches_the_managers_board(
    pages: Pages, spoken_order: Speech
) -> None:
    board, kiosk = board_and_kiosk(pages, "manager-1", "manager", "en")

    talk = kiosk.get_by_test_id("talk")
    talk.click()  # click to start ...
    expect(talk).to_have_attribute("aria-pressed", "true")
    kiosk.wait_for_timeout(spoken_order.seconds * 1000)  # ... as long as the customer speaks
    talk.click()  # ... and click to stop
    expect(kiosk.get_by_test_id("order-summary")).to_contain_text(
        "French Dinner", timeout=AI_ROUND_TRIP_MS
    )
    expect(kiosk.get_by_test_id("order-summary")).to_contain_text("× 2")
    expect(kiosk.get_by_test_id("assistant-reply")).to_contain_text("Shall I place the order")
    kiosk.get_by_role("button", name="Yes, place the order").click()
    order_id = placed_order_id(kiosk)

    card = board.locator(f'[data-testid="order-card"][data-order-id="{order_id}"]')
    expect(card).to_be_visible()
    expect(card.get_by_test_id("step-cancelled")).to_have_count(1)  # a manager may cancel
    step(board, kiosk, order_id, "accepted")
    expect(kiosk.get_by_test_id("order-status")).to_have_text("Accepted")
    expect(board.locator("#stats-list")).to_contain_text("Total")

    assert pages.errors == []


def test_a_cake_picture_goes_with_the_order_to_the_board(pages: Pages) -> None:
    board, kiosk = board_and_kiosk(pages, "cook-2", "cook", "en")

    ordered(kiosk, "One custom cake, simple style please", "Custom Cake")
    kiosk.get_by_label("Describe the cake").fill("A red heart with roses")
    kiosk.get_by_role("button", name="Draw it").click()
    picture = kiosk.get_by_test_id("order-summary").locator("img")
    expect(picture).to_have_attribute(  # drawn by the AI Server
        "src", re.compile(r"^/media/[\w-]+\.png$"), timeout=AI_ROUND_TRIP_MS
    )
    path = picture.get_attribute("src")
    kiosk.get_by_role("button", name="Yes, place the order").click()
    order_id = placed_order_id(kiosk)

    card = board.locator(f'[data-testid="order-card"][data-order-id="{order_id}"]')
    expect(card.locator("img")).to_have_attribute("src", str(path))
    # it loads (the card shows the src before the browser has fetched the picture)
    board.wait_for_function(
        "image => image.complete && image.naturalWidth > 0",
        arg=card.locator("img").element_handle(),
    )

    assert pages.errors == []
