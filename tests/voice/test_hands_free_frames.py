"""Hands-free audio frames: their size limits, and a client held to real time."""

from __future__ import annotations

import pytest

from quart_app.services.voice.hands_free import BadAudio, Pacer, check_frame
from tests.support.bus_backends import FakeClock

FRAME_20_MS = bytes(640)


@pytest.mark.parametrize("size", [320, 640, 8000])
def test_10_to_250_ms_of_pcm_is_a_frame(size: int) -> None:
    check_frame(bytes(size))


@pytest.mark.parametrize("size", [0, 318, 641, 8002])
def test_odd_short_or_long_frames_are_refused(size: int) -> None:
    with pytest.raises(BadAudio):
        check_frame(bytes(size))


def test_a_client_at_real_time_never_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(ahead=1.0, clock=clock)

    waits = []
    for _ in range(500):  # 10 s
        waits.append(pacer.wait(FRAME_20_MS))
        clock.advance(0.02)

    assert max(waits) == 0


def test_a_client_faster_than_real_time_waits_for_it_past_the_allowance() -> None:
    clock = FakeClock()
    pacer = Pacer(ahead=1.0, clock=clock)

    waits = [pacer.wait(FRAME_20_MS) for _ in range(100)]  # 2 s at once

    assert waits[:50] == [0.0] * 50
    assert waits[-1] == pytest.approx(1.0)
    clock.advance(1.0)
    assert pacer.wait(FRAME_20_MS) == pytest.approx(0.02)
