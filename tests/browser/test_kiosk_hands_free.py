"""Hands-free at the kiosk: after one click on the toggle the customer just talks (the
order, a pause, then "yes"), and the order is placed and reaches a staff board."""

from __future__ import annotations

import re
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect

from tests.support.browser_pages import CHROMIUM, Pages, need_tool

ORDER = "Two French dinners, grand style please."
YES = "Yes."
AI_ROUND_TRIP_MS = 60_000
ORDER_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def hands_free_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The order and "yes" with silence before, between and after, as Chromium's fake
    microphone plays best (48 kHz mono 16-bit)."""
    folder = tmp_path_factory.mktemp("hands-free")
    parts = []
    for name, text, before, after in (("order", ORDER, "2", "4"), ("yes", YES, "0", "3")):
        raw, padded = folder / f"{name}-raw.wav", folder / f"{name}.wav"
        subprocess.run([need_tool("espeak-ng"), "-v", "en-us", "-w", raw, text], check=True)
        form = ["-r", "48000", "-c", "1", "-b", "16"]
        pad = ["pad", before, after]
        subprocess.run([need_tool("sox"), raw, *form, padded, *pad], check=True)
        parts.append(padded)
    both = folder / "both.wav"
    subprocess.run([need_tool("sox"), *parts, both], check=True)
    with wave.open(str(both)) as audio:
        assert audio.getframerate() == 48_000
    return both


@pytest.fixture(scope="module")
def browser(playwright: Playwright, hands_free_speech: Path) -> Iterator[Browser]:
    """Chromium whose microphone plays the speech once (``%noloop``)."""
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={hands_free_speech}%noloop",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield launched
    launched.close()


def test_a_hands_free_order_is_placed_and_reaches_the_board(pages: Pages) -> None:
    board = pages.open("board", "/staff")
    board.get_by_test_id("login-user").fill("cook-7")
    board.get_by_test_id("login-role").select_option("cook")
    board.get_by_test_id("login").click()
    expect(board.get_by_test_id("ws-state")).to_have_text("connected")
    kiosk = pages.open("kiosk", "/")
    kiosk.get_by_test_id("lang").select_option("en")

    toggle = kiosk.get_by_test_id("hands-free")
    toggle.click()  # nothing else is clicked from here on

    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(kiosk.get_by_test_id("listening")).not_to_have_attribute("data-state", "off")
    expect(kiosk.get_by_test_id("order-summary")).to_contain_text(
        "French Dinner", timeout=AI_ROUND_TRIP_MS
    )
    order_id = kiosk.get_by_test_id("order-id")
    expect(order_id).to_have_text(ORDER_ID, timeout=AI_ROUND_TRIP_MS)
    card = board.locator(f'[data-testid="order-card"][data-order-id="{order_id.inner_text()}"]')
    expect(card).to_be_visible()
    assert pages.errors == []
