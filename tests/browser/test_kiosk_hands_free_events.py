"""What the kiosk shows and does as a hands-free stream's events arrive: the partial words
and the listening state, barge-in over a reply read aloud, and a refused stream.

The service runs as a process on the tests' Redis with no AI worker of its own; the
scripted AI Server serves that Redis from a thread of the test, and publishes each event
of the stream only when the test says so (:class:`DrivenStream`), so every state the page
goes through can be seen: nothing races a clock."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from quart_app.testing import Answer, ScriptedAIServer, error, gated, never
from tests.support.browser_pages import Pages
from tests.support.scripted_thread import AIServerThread, DrivenStream
from tests.support.served import Served, app_env, serving
from tests.support.voice_api import llm_answer

AI_TIMEOUT = "8"
"""Seconds the service waits for an AI Server to take a stream (and for an utterance's
next event): the refusal test waits it out once."""
REPLY = "Which style would you like?"
STREAM_URL = re.compile(r"/api/voice/stream$")

# window.speechSynthesis as a recorder: headless Chromium has no voices to read aloud with.
SPEECH_RECORDER = """
(() => {
  const calls = [];
  const speech = {
    speaking: false,
    pending: false,
    paused: false,
    speak(utterance) { calls.push(["speak", utterance.text]); this.speaking = true; },
    cancel() { calls.push(["cancel"]); this.speaking = false; },
    pause() {}, resume() {}, getVoices() { return []; },
    addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: speech, configurable: true });
  window.speechCalls = calls;
})();
"""


@pytest.fixture(scope="module")
def scripted(redis_url: str) -> Iterator[AIServerThread]:
    with AIServerThread(redis_url) as thread:
        yield thread


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, scripted: AIServerThread
) -> Iterator[Served]:
    """``voice-realtime serve`` on the tests' Redis, its AI Server the scripted one."""
    folder = tmp_path_factory.mktemp("server")
    env = app_env(folder, {"BUS_URL": redis_url, "AI_TIMEOUT": AI_TIMEOUT})
    with serving(env) as running:
        yield running


@pytest.fixture
def ai_server(scripted: AIServerThread) -> Iterator[ScriptedAIServer]:
    """This test's scripted AI Server (a failed test's leftovers go with its own)."""
    with scripted.serving() as serving:
        yield serving


@pytest.fixture
def stream(scripted: AIServerThread, ai_server: ScriptedAIServer) -> DrivenStream:
    """The next hands-free stream, driven by the test."""
    driven = DrivenStream(scripted)
    ai_server.stt_stream.queue(driven)
    return driven


def kiosk_in_english(pages: Pages, *, init_script: str | None = None) -> Page:
    kiosk = pages.open("kiosk", "/", init_script=init_script)
    kiosk.get_by_test_id("lang").select_option("en")
    return kiosk


def test_partials_show_as_they_come_and_the_state_follows_the_utterance(
    pages: Pages, scripted: AIServerThread, ai_server: ScriptedAIServer, stream: DrivenStream
) -> None:
    gate = scripted.gate()
    answer = llm_answer(REPLY, order_state={"menu_code": "french"})
    ai_server.llm.queue(gated(gate.event, answer))
    kiosk = kiosk_in_english(pages)
    listening, partial = kiosk.get_by_test_id("listening"), kiosk.get_by_test_id("partial")

    kiosk.get_by_test_id("hands-free").click()
    stream.request()
    expect(listening).to_have_attribute("data-state", "listening")
    expect(listening).to_have_text("Listening")

    stream.publish("speech_started", utterance=0, start_ms=0)
    expect(listening).to_have_attribute("data-state", "hearing")
    stream.publish("partial", utterance=0, text="two")
    expect(partial).to_have_text("two")
    stream.publish("partial", utterance=0, text="two french")
    expect(partial).to_have_text("two french")  # replaced, not added to

    final = {"utterance": 0, "language": "en", "start_ms": 0, "end_ms": 1500}
    stream.publish("final", text="two french dinners", **final)
    expect(listening).to_have_attribute("data-state", "thinking")
    expect(partial).to_have_text("")
    expect(kiosk.locator(".message.user").last).to_have_text("two french dinners")

    gate.open()
    expect(kiosk.get_by_test_id("assistant-reply")).to_have_text(REPLY)
    expect(listening).to_have_attribute("data-state", "listening")

    # Speech that came to no words: back to listening, with nothing to answer.
    stream.publish("speech_started", utterance=1, start_ms=3000)
    expect(listening).to_have_attribute("data-state", "hearing")
    stream.publish("partial", utterance=1, text="um")
    expect(partial).to_have_text("um")
    stream.publish("final", utterance=1, text="", language="en", start_ms=3000, end_ms=3400)
    expect(listening).to_have_attribute("data-state", "listening")
    expect(partial).to_have_text("")
    expect(kiosk.get_by_test_id("hands-free")).to_have_attribute("aria-pressed", "true")
    assert pages.errors == []


def test_the_customer_talking_over_a_reply_stops_it_being_read_aloud(
    pages: Pages, ai_server: ScriptedAIServer, stream: DrivenStream
) -> None:
    ai_server.llm.queue(llm_answer(REPLY, order_state={"menu_code": "french"}))
    kiosk = kiosk_in_english(pages, init_script=SPEECH_RECORDER)
    kiosk.locator("#speak-replies").check()
    kiosk.get_by_test_id("hands-free").click()
    stream.request()

    stream.publish("speech_started", utterance=0, start_ms=0)
    final = {"utterance": 0, "language": "en", "start_ms": 0, "end_ms": 1500}
    stream.publish("final", text="two french dinners", **final)
    expect(kiosk.get_by_test_id("assistant-reply")).to_have_text(REPLY)
    kiosk.wait_for_function("() => speechSynthesis.speaking")
    assert kiosk.evaluate("speechCalls.at(-1)") == ["speak", REPLY]

    stream.publish("speech_started", utterance=1, start_ms=4000)
    kiosk.wait_for_function("() => !speechSynthesis.speaking")
    assert kiosk.evaluate("speechCalls.at(-1)") == ["cancel"]
    expect(kiosk.get_by_test_id("listening")).to_have_attribute("data-state", "hearing")
    assert pages.errors == []


def test_turned_off_mid_utterance_the_kiosk_answers_it_and_stays_off(
    pages: Pages, ai_server: ScriptedAIServer, stream: DrivenStream
) -> None:
    ai_server.llm.queue(llm_answer(REPLY, order_state={"menu_code": "french"}))
    kiosk = kiosk_in_english(pages)
    toggle, listening = kiosk.get_by_test_id("hands-free"), kiosk.get_by_test_id("listening")
    toggle.click()
    stream.request()
    stream.publish("speech_started", utterance=0, start_ms=0)
    stream.publish("partial", utterance=0, text="two french")
    expect(kiosk.get_by_test_id("partial")).to_have_text("two french")

    toggle.click()  # off: the server finishes the utterance in progress (stop)
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(listening).to_have_attribute("data-state", "off")
    expect(kiosk.get_by_test_id("partial")).to_have_text("")
    final = {"utterance": 0, "language": "en", "start_ms": 0, "end_ms": 1500}
    stream.publish("final", text="two french dinners", **final)
    stream.publish("closed")

    expect(kiosk.get_by_test_id("assistant-reply")).to_have_text(REPLY)
    expect(kiosk.locator(".message.user").last).to_have_text("two french dinners")
    expect(listening).to_have_attribute("data-state", "off")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert pages.errors == []


def test_turned_off_before_the_stream_was_taken_it_leaves_nothing_behind(
    pages: Pages, scripted: AIServerThread, ai_server: ScriptedAIServer
) -> None:
    gate = scripted.gate()
    first, second = DrivenStream(scripted), DrivenStream(scripted)
    ai_server.stt_stream.queue(gated(gate.event, first), second)
    kiosk = kiosk_in_english(pages)
    toggle = kiosk.get_by_test_id("hands-free")
    with kiosk.expect_websocket(lambda socket: bool(STREAM_URL.search(socket.url))) as opened:
        toggle.click()
    socket = opened.value
    scripted.run(ai_server.stt_stream.wait_for_requests(1))  # the service waits for it

    toggle.click()  # off before any AI Server took the stream
    expect(toggle).to_have_attribute("aria-pressed", "false")
    gate.open()
    first.request()
    if not socket.is_closed():
        socket.wait_for_event("close")

    toggle.click()  # and on again: a stream of its own, the old one's ready ignored
    second.request()
    second.publish("speech_started", utterance=0, start_ms=0)
    expect(kiosk.get_by_test_id("listening")).to_have_attribute("data-state", "hearing")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(kiosk.locator("#talk-state")).to_have_text("")
    assert pages.errors == []


@pytest.mark.parametrize(
    "refusal",
    [pytest.param(never(), id="no-ai-server"), pytest.param(error("overloaded"), id="overloaded")],
)
def test_a_refused_stream_says_so_and_push_to_talk_still_works(
    pages: Pages, ai_server: ScriptedAIServer, refusal: Answer
) -> None:
    ai_server.stt_stream.queue(refusal)
    kiosk = pages.open("kiosk", "/")
    kiosk.get_by_test_id("lang").select_option("ko")
    toggle = kiosk.get_by_test_id("hands-free")

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false", timeout=3 * int(AI_TIMEOUT) * 1000)
    expect(kiosk.get_by_test_id("listening")).to_have_attribute("data-state", "off")
    talk_state = kiosk.locator("#talk-state")
    expect(talk_state).to_have_text("핸즈프리를 지금 쓸 수 없어요. 말하기 버튼을 눌러 주세요.")
    # Why, in the kiosk's language (not the server's English message).
    expect(kiosk.locator("#error")).to_have_text("지금은 음성 도우미가 들을 수 없어요.")

    ai_server.stt.queue({"text": "two french dinners", "language": "en"})
    ai_server.llm.queue(llm_answer(REPLY, order_state={"menu_code": "french"}))
    talk = kiosk.get_by_test_id("talk")
    talk.click()  # click to start ...
    expect(talk).to_have_attribute("aria-pressed", "true")
    talk.click()  # ... and click to stop
    expect(kiosk.get_by_test_id("assistant-reply")).to_have_text(REPLY)
    expect(kiosk.locator(".message.user").last).to_have_text("two french dinners")
    expect(kiosk.locator("#error")).to_have_text("")
    assert pages.errors == []
