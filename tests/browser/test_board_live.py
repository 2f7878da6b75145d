"""The staff board's socket: the board lists its orders once its socket is registered, it
resumes from the position the server gave, and what the server says went wrong reaches the
person at the board, in the board's language.

Playwright stands between the page and ``/api/ws`` (``route_web_socket``, through the
``line`` fixture): it passes frames through, holds the line down, or hands the page a frame
of the server's kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.browser_pages import SOCKET, Line, Pages

RECONNECT_MS = 30_000  # the board backs off between attempts while the line is down
LIST = re.compile(r"/api/orders$")


@pytest.fixture
def board(pages: Pages, line: Line) -> Iterator[Page]:
    """The board in Korean, its socket relayed through ``line``, signed in as a cook."""
    page = pages.open("board", "/staff")
    page.route_web_socket(SOCKET, line.relay)
    page.locator("#lang").select_option("ko")
    page.get_by_test_id("login-user").fill("cook-live")
    page.get_by_test_id("login-role").select_option("cook")
    with page.expect_response(LIST):  # the board's orders, read once its socket is registered
        page.get_by_test_id("login").click()
    expect(page.get_by_test_id("ws-state")).to_have_text("connected")
    yield page


def place_order(page: Page) -> str:
    """A customer places an order over the API; its id."""
    token = page.request.post(
        "/api/dev/token", data={"user_id": "guest-live", "role": "customer"}
    ).json()["token"]
    menu = page.request.get("/api/menus").json()["menus"][0]
    placed = page.request.post(
        "/api/orders",
        data={
            "items": [
                {"menu_code": menu["code"], "style_code": menu["styles"][0]["code"], "quantity": 1}
            ]
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert placed.status == 201, placed.text()
    return str(placed.json()["order_id"])


def test_a_board_that_got_no_notification_still_resumes_from_its_position(
    board: Page, line: Line, pages: Pages
) -> None:
    line.cut()
    expect(board.get_by_test_id("ws-state")).not_to_have_text("connected")
    order_id = place_order(board)  # published while the board is away

    line.mend()
    expect(board.get_by_test_id("ws-state")).to_have_text("connected", timeout=RECONNECT_MS)
    card = board.locator(f'[data-testid="order-card"][data-order-id="{order_id}"]')
    expect(card).to_be_visible()  # replayed: the board never reloaded its orders
    expect(card.get_by_test_id("order-card-status")).to_have_attribute("data-status", "pending")
    assert pages.errors == []


def test_an_error_frame_is_shown_in_korean_for_a_known_code(board: Page, line: Line) -> None:
    line.tell_the_page({"type": "error", "code": "unknown_type", "message": "Unknown type."})
    expect(board.get_by_role("alert")).to_have_text("실시간 연결로 알 수 없는 메시지가 전송됐어요.")

    board.locator("#lang").select_option("en")  # the error shown follows the language
    expect(board.get_by_role("alert")).to_have_text(
        "An unknown message was sent over the live connection."
    )


def test_an_error_frame_with_a_code_the_page_does_not_know_shows_the_servers_message(
    board: Page, line: Line
) -> None:
    line.tell_the_page({"type": "error", "code": "brand_new", "message": "Something new."})
    expect(board.get_by_role("alert")).to_have_text("Something new.")


def test_a_failed_reload_after_an_incomplete_replay_is_shown_not_thrown(
    board: Page, line: Line, pages: Pages
) -> None:
    unavailable = {"error": {"code": "database_unavailable", "message": "Down.", "details": None}}

    def refuse(route: Route) -> None:
        route.fulfill(status=503, json=unavailable)

    board.route("**/api/orders", refuse)
    line.tell_the_page({"type": "replay_incomplete", "last_event_id": "0-0"})

    expect(board.get_by_role("alert")).to_have_text(
        "주문 기록을 잠시 쓸 수 없어요. 잠시 후 다시 해 주세요."
    )
    assert pages.uncaught == []


def test_an_order_placed_while_the_board_loads_its_orders_still_reaches_it(
    pages: Pages, line: Line
) -> None:
    """The board's list of orders is answered, then an order is placed, then the list
    reaches the board: the order is in neither the list nor (if the socket was registered
    only after the list came) any notification the board gets."""
    page = pages.open("board", "/staff")
    page.route_web_socket(SOCKET, line.relay)
    placed: list[str] = []

    def answer_then_place_an_order(route: Route) -> None:
        listed = route.fetch()
        if not placed:
            placed.append(place_order(page))
        route.fulfill(response=listed)

    page.route("**/api/orders", answer_then_place_an_order)
    page.get_by_test_id("login-user").fill("cook-loading")
    page.get_by_test_id("login-role").select_option("cook")
    with page.expect_response(LIST):
        page.get_by_test_id("login").click()
    expect(page.get_by_test_id("ws-state")).to_have_text("connected")

    card = page.locator(f'[data-testid="order-card"][data-order-id="{placed[0]}"]')
    expect(card).to_be_visible()
    assert pages.errors == []
