"""Running corpus conversations through the service, as a kiosk would.

Each line goes to ``POST /api/voice/analyze`` (a spoken one first through
``POST /api/voice/stt``, as a clip espeak-ng makes at run time). When the
scripted lines are said and the kiosk still asks something, the customer
answers "Yes, please place the order" up to two more times, whatever the kiosk
reads back: that customer checks nothing. A *correcting* customer (``corrects``)
checks the order read back at confirmation instead, as the typed corpus's
corrections do: a wrong one is corrected ("Actually, make it three"), up to
three times, then cancelled; only a right one gets the yes. Asked back about
a name ("Did you mean Grand style?"), the customer says yes when it is what
they mean, else no, as a person would, then goes on with their lines; asked whether
a change was heard right ("Did I hear that right: no wine?"), it says yes when each
ingredient named is as it means it, else no. Asked how
many, it says the number it means at once (``Dialogue.how_many``, else plainly,
"three"), each time it is asked, at most twice, before any line of its own (a
change is no answer to it); a line not caught with it is said again after it.
A line of its own that asks for one change the kiosk has already read back as
meant ("Got it: extra wine." before "And a bit more wine") is not said. Asked
what to do with one ingredient ("more, less or none?"), it
says what it means for that ingredient; asked for the rest of a change not caught, it
says the changes it means that the reply's "Got it: ..." does not name, else that
that's all (each at most twice). Once its lines are said, asked which dinner or
style, it names the one it means if it has said it (or accepted it, recommended by
name), and asked whether to change anything, it says the changes no reply has read
back (each at most twice). A spoken customer told "Sorry, I didn't catch that"
(or "all of that") says its line again once, more slowly, as a person does. A
conversation *completes* when exactly the order it means was placed (for a cancel:
when nothing was placed); it ends in a *wrong order* when an order was placed that
is not the one it means.
"""

from __future__ import annotations

import io
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from quart.datastructures import FileStorage
from quart.testing import QuartClient

from domain.catalog import Catalog, Ingredient, Menu
from domain.number_words import english_number, korean_native
from tests.support.ai_catalog import as_catalog
from tests.support.dialogue_corpus import FOLLOW_UP, Dialogue, Goal

FOLLOW_UPS = 2
ASKED_BACK = 3
CORRECTIONS = 3
"""Corrections a correcting customer makes to wrong read-backs before cancelling."""
_GIVE_UP = {"en": "Cancel, please.", "ko": "취소해 주세요"}
_YES_NO = {"en": ("Yes", "No"), "ko": ("네", "아니요")}
_HOW_MANY = re.compile(r"How many|몇 개")
_NOT_CAUGHT = (
    "Sorry, I didn't catch that.",
    "죄송해요, 잘 이해하지 못했어요.",
    "Sorry, I didn't catch all of that.",
    "죄송해요, 다 알아듣지 못했어요.",
)
_ITEM_ASKED = re.compile(
    r"What would you like done with the (?P<en>[^:?]+): more, less or none\?"
    r"|(?:^|[.!?:]\s*)(?P<ko>[^.!?:]+?)(?:은|는) 추가할까요, 줄일까요, 뺄까요\?"
)
_REST_ASKED = re.compile(
    r"(?P<said>.*?)(?:I didn't catch the rest: what else would you like to change\?"
    r"|나머지는 잘 듣지 못했어요\. 무엇을 더 바꿀까요\?)"
)
_ITEM_ANSWERS = {
    "en": {"none": "No {name}, please.", "more": "More {name}, please.",
           "less": "Less {name}, please.", "same": "Nothing."},
    "ko": {"none": "{name} 빼 주세요", "more": "{name} 추가해 주세요",
           "less": "{name} 줄여 주세요", "same": "그대로 주세요"},
}  # fmt: skip
_NOTHING_ELSE = {"en": "That's all.", "ko": "없어요"}
_MENU_ASKED = ("Which dinner would you like?", "어떤 디너로 하시겠어요?")
_CHANGE_ASKED = (
    "Would you like to change anything",
    "Anything else to change?",
    "Now, what would you like to change?",
    "이제 무엇을 바꿔 드릴까요?",
    "바꾸고 싶은 재료가 있으신가요?",
    "더 바꾸실 것이 있으신가요?",
)
_TAKEN = re.compile(
    r"Got it: [^.]*\.|So that's [^?]*\?|알겠습니다: [^.]*\.|[^.?!]*, 이대로 주문할까요\?"
)
_STYLE_ASKED = re.compile(r"Which style would you like for the |어떤 스타일로 하시겠어요\?")
_OFFERED = re.compile(r"I'd recommend the (?P<en>[^(]+?) \(|^(?P<ko>.+?)(?:을|를) 추천드려요")
REPEATS = 3
"""Lines a spoken customer says again, more slowly, when not caught."""
SLOWER = 30
"""Words a minute slower, said again."""
ANSWERS = 2
HOW_MANY_ANSWERS = 2
"""Answers to "how many?": the number meant, each time it is asked."""
"""Answers to a question about an ingredient or the rest of a change."""


@dataclass(slots=True)
class Outcome:
    """How one conversation went."""

    dialogue: Dialogue
    placed: Goal | None = None
    order_id: str | None = None
    turns: int = 0
    said: list[str] = field(default_factory=list)
    """Each line the customer said, answers and lines said again included."""
    heard: list[str] = field(default_factory=list)
    """What the service heard of each of ``said``."""
    replies: list[str] = field(default_factory=list)
    turn_seconds: list[float] = field(default_factory=list)
    """Spoken turns: speech-to-text plus analyze, each."""
    clip_seconds: list[float] = field(default_factory=list)
    error: str | None = None
    skipped: list[str] = field(default_factory=list)
    """Lines not said: a change the kiosk had already read back."""
    yes_to_a_wrong_read_back: bool = False
    """The customer said yes to an order read back that is not the one meant: a
    correcting customer would have gone on differently."""

    @property
    def completed(self) -> bool:
        if self.error is not None:
            return False
        if self.dialogue.goal is None:
            return self.order_id is None
        return self.placed == self.dialogue.goal

    @property
    def wrong_order(self) -> bool:
        """An order was placed, and not the one meant (worse than none)."""
        return self.order_id is not None and self.placed != self.dialogue.goal

    def describe(self) -> str:
        """The conversation as it went, for a failure message."""
        said = [f"  > {h}\n  < {r}" for h, r in zip(self.heard, self.replies, strict=False)]
        return "\n".join(
            [
                f"{self.dialogue.name}: wanted {self.dialogue.goal}, placed {self.placed}"
                + (f", error {self.error}" if self.error else ""),
                *said,
            ]
        )


def speak(text: str, voice: str, speed: int, directory: Path) -> tuple[bytes, float]:
    """``text`` said by espeak-ng's ``voice`` at ``speed`` words a minute, as a 16 kHz mono
    16-bit WAV, and its length in seconds."""
    raw, clip = directory / "raw.wav", directory / "clip.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(clip)],
        check=True,
        capture_output=True,
    )
    audio = clip.read_bytes()
    return audio, (len(audio) - 44) / 32_000


@dataclass(slots=True)
class Said:
    """One line said to the service: what it heard, and its answer."""

    heard: str
    status: int = 200
    """The analyze status (no answer when nothing was heard)."""
    answer: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    """Why the line got no answer at all (the speech path failed)."""
    clip_seconds: float | None = None
    turn_seconds: float | None = None


class Customer(Protocol):
    """How a conversation's lines reach the service."""

    async def say(self, line: str, session_id: str | None) -> Said: ...


@dataclass(slots=True)
class Typing:
    """Each line typed to ``POST /api/voice/analyze``."""

    client: QuartClient

    async def say(self, line: str, session_id: str | None) -> Said:
        status, answer = await analyze(self.client, line, session_id)
        return Said(line, status, answer)


@dataclass(slots=True)
class Talking:
    """Each line said by espeak-ng into ``POST /api/voice/stt``, then its text analyzed:
    push-to-talk. ``turn_seconds`` runs from the upload to the answer."""

    client: QuartClient
    dialogue: Dialogue
    clip_dir: Path
    mix: Callable[[bytes], bytes] | None = None
    """What becomes of each clip (a WAV) before it is uploaded, e.g. noise added."""

    slower: str | None = None
    """A line said again, more slowly, when it next comes."""

    async def say(self, line: str, session_id: str | None) -> Said:
        slow, self.slower = self.slower == line, None if self.slower == line else self.slower
        speed = self.dialogue.speed - (SLOWER if slow else 0)
        audio, seconds = speak(line, self.dialogue.voice, speed, self.clip_dir)
        if self.mix is not None:
            audio = self.mix(audio)
        started = time.perf_counter()
        text, error = await _transcribe(self.client, audio, self.dialogue.language, session_id)
        if text is None:
            return Said("", error=error)
        if not text.strip():
            return Said(text, clip_seconds=seconds)
        status, answer = await analyze(self.client, text, session_id)
        return Said(text, status, answer, None, seconds, time.perf_counter() - started)


async def analyze(
    client: QuartClient, text: str, session_id: str | None
) -> tuple[int, dict[str, Any]]:
    """``POST /api/voice/analyze`` of a guest's ``text``: its status and body."""
    response = await client.post(
        "/api/voice/analyze",
        json={"transcript": text, "user_id": None, "session_id": session_id},
    )
    return response.status_code, await response.get_json()


async def run_dialogue(
    client: QuartClient,
    dialogue: Dialogue,
    *,
    catalog: Catalog,
    order_reader: dict[str, str],
    clip_dir: Path | None = None,
    corrects: bool = False,
    customer: Customer | None = None,
) -> Outcome:
    """Say ``dialogue`` to the service, as a customer who says yes to any read-back, or
    one who ``corrects`` a wrong one: through ``customer``, else spoken when
    ``clip_dir`` is given, else typed."""
    if customer is None:
        customer = Typing(client) if clip_dir is None else Talking(client, dialogue, clip_dir)
    outcome = Outcome(dialogue)
    session_id: str | None = None
    answer: dict[str, Any] = {}
    script = list(dialogue.lines)
    follow_ups = 0 if dialogue.goal is None else FOLLOW_UPS
    asked_back = 0
    goal = dialogue.goal
    number = (dialogue.how_many or _count(goal.quantity, dialogue.language)) if goal else ""
    how_many = HOW_MANY_ANSWERS if goal else 0
    corrections = CORRECTIONS
    repeats = REPEATS if isinstance(customer, Talking) else 0
    answers = ANSWERS
    asked_when_done = ANSWERS
    repeated = False
    while script or follow_ups:
        wrong = _wrong_read_back(answer, dialogue)
        if script and _read_back_already(script[0], outcome, catalog):
            # "And a bit more wine" after "Got it: extra wine.": said, not said again.
            outcome.skipped.append(script.pop(0))
            continue
        if script:
            line = script.pop(0)
        elif asked_when_done and (known := _asked_when_done(outcome, catalog)):
            # Nothing left to say and asked for a menu or a style it has said or
            # accepted (that one), or whether to change anything (what no reply took).
            line, asked_when_done = known, asked_when_done - 1
        elif corrects and wrong and corrections:
            line, corrections = _correction(answer, dialogue, catalog), corrections - 1
        elif corrects and wrong:
            line, follow_ups = _GIVE_UP[dialogue.language], 0
        else:
            line, follow_ups = FOLLOW_UP[dialogue.language], follow_ups - 1
            outcome.yes_to_a_wrong_read_back |= wrong
        said = await customer.say(line, session_id)
        if said.error is not None:
            outcome.error = said.error
            return outcome
        if said.clip_seconds is not None:
            outcome.clip_seconds.append(said.clip_seconds)
        outcome.said.append(line)
        outcome.heard.append(said.heard)
        if not said.heard.strip():
            outcome.replies.append("(nothing heard)")
            continue
        answer = said.answer
        if said.turn_seconds is not None:
            outcome.turn_seconds.append(said.turn_seconds)
        outcome.turns += 1
        if said.status != 200:
            outcome.error = f"analyze answered {said.status}: {answer}"
            return outcome
        outcome.replies.append(answer["response"])
        session_id = answer["session_id"]
        if answer.get("order_id"):
            break
        response = answer["response"]
        reply = _reply_to_asking_back(response, dialogue, catalog)
        again, repeated = repeated, False
        if reply is not None and asked_back < ASKED_BACK:
            asked_back += 1
            script.insert(0, reply)
        elif how_many and _HOW_MANY.search(response):
            # Asked how many: the number meant, at once (a change is no answer to it);
            # a line not caught with it is said again after it, more slowly.
            how_many -= 1
            script.insert(0, number)
            if repeats and not again and line != number and response.startswith(_NOT_CAUGHT):
                assert isinstance(customer, Talking)
                repeats, customer.slower = repeats - 1, line
                script.insert(1, line)
        elif answers and (reply := answer_to_a_question(response, dialogue, catalog)):
            answers -= 1
            script.insert(0, reply)
        elif repeats and not again and response.startswith(_NOT_CAUGHT):
            # Not caught: said again once, more slowly, as a person does.
            assert isinstance(customer, Talking)
            repeats, repeated, customer.slower = repeats - 1, True, line
            script.insert(0, line)
    outcome.order_id = answer.get("order_id")
    if outcome.order_id is not None:
        outcome.placed = await _read_order(client, outcome.order_id, order_reader)
    return outcome


def _count(quantity: int, language: str) -> str:
    """How many, said plainly: "three", "세 개"."""
    return f"{korean_native(quantity)} 개" if language == "ko" else english_number(quantity)


def _read_back(answer: dict[str, Any]) -> Goal | None:
    """The order the kiosk reads back at confirmation, else ``None``."""
    if answer.get("state") != "confirmation":
        return None
    state = answer["order_state"]
    return Goal(
        state["menu_code"],
        state["style_code"],
        state["quantity"],
        tuple(sorted(state["customizations"].items())),
    )


def _wrong_read_back(answer: dict[str, Any], dialogue: Dialogue) -> bool:
    read_back = _read_back(answer)
    return read_back is not None and dialogue.goal is not None and read_back != dialogue.goal


def _correction(answer: dict[str, Any], dialogue: Dialogue, catalog: Catalog) -> str:
    """What a customer says to a wrong read-back: the first thing wrong in it, corrected."""
    read_back, goal = _read_back(answer), dialogue.goal
    assert read_back is not None and goal is not None
    korean = dialogue.language == "ko"
    menu = catalog.menu(goal.menu)
    style = menu.allowed_style(goal.style)
    assert style is not None
    count = _count(goal.quantity, dialogue.language)
    if read_back.menu != goal.menu:
        if korean:
            return f"아니요, {menu.name_ko} {count} {style.name_ko} 스타일로 주세요"
        return f"No, I want {count} {menu.name_en}, {style.name_en} style"
    if read_back.style != goal.style:
        return (
            f"아니 {style.name_ko}로 해 주세요"
            if korean
            else f"Actually, {style.name_en} style instead"
        )
    if read_back.quantity != goal.quantity:
        return f"아니 {count}로 해 주세요" if korean else f"Actually, make it {count}"
    meant, heard = dict(goal.customizations), dict(read_back.customizations)
    code = next(c for c in sorted(meant.keys() | heard.keys()) if meant.get(c) != heard.get(c))
    item = menu.ingredient(code)
    amount = meant.get(code, item.quantity)
    if korean:
        if amount == 0:
            return f"{item.name_ko} 빼 주세요"
        return f"{item.name_ko} {korean_native(amount)} 개로 해 주세요"
    return (
        f"No {item.name_en}" if amount == 0 else f"{english_number(amount)} {item.name_en}, please"
    )


def _asked_when_done(outcome: Outcome, catalog: Catalog) -> str | None:
    """The customer's answer to the kiosk asking which dinner or which style, once its
    lines are said: the one it means, if it has named it (or accepted it when the kiosk
    recommended it by name); else ``None``, as it has no name to give. Asked whether to
    change anything: the changes it means that no reply has read back, if any."""
    dialogue, response = outcome.dialogue, outcome.replies[-1] if outcome.replies else ""
    if dialogue.goal is None:
        return None
    menu = catalog.menu(dialogue.goal.menu)
    style = menu.allowed_style(dialogue.goal.style)
    korean = dialogue.language == "ko"
    said = " ".join(outcome.said).lower()
    if _STYLE_ASKED.search(response) and style is not None:
        if style.name_en.lower() not in said and style.name_ko not in said:
            return None
        return f"{style.name_ko}로 해 주세요" if korean else f"{style.name_en} style, please."
    if any(question in response for question in _CHANGE_ASKED):
        return _changes_not_taken(outcome, menu)
    if not any(question in response for question in _MENU_ASKED):
        return None
    names = {menu.name_en.lower(), menu.name_ko, menu.name_ko.removesuffix(" 디너")}
    offered = {
        (found.group("en") or found.group("ko")).strip().lower()
        for reply in outcome.replies
        if (found := _OFFERED.search(reply))
    }
    if any(name in said for name in names) or names & offered:
        return f"{menu.name_ko} 주세요" if korean else f"The {menu.name_en}, please."
    return None


def _changes_not_taken(outcome: Outcome, menu: Menu) -> str | None:
    """The changes the customer means that no reply has read back ("Got it: ...", "So
    that's ..."), said again when asked whether it would like to change anything."""
    assert outcome.dialogue.goal is not None
    taken = " ".join(m.group(0) for reply in outcome.replies for m in _TAKEN.finditer(reply))
    lines = [
        _change_line(menu.ingredient(code), amount, outcome.dialogue.language)
        for code, amount in sorted(outcome.dialogue.goal.customizations)
        if menu.ingredient(code).name_en not in taken and menu.ingredient(code).name_ko not in taken
    ]
    return " ".join(lines) or None


def _read_back_already(line: str, outcome: Outcome, catalog: Catalog) -> bool:
    """Whether ``line`` is a change to one ingredient alone ("And a bit more wine") that a
    reply has already read back as the customer means it ("Got it: extra wine."): a
    person who heard that does not ask for it again. From the line and the replies'
    text only."""
    goal = outcome.dialogue.goal
    if goal is None:
        return False
    menu, lowered = catalog.menu(goal.menu), line.lower()
    named = [i for i in menu.ingredients if i.name_en.lower() in lowered or i.name_ko in line]
    others = [
        thing
        for thing in (*catalog.menus, *menu.styles)
        if thing.name_en.lower() in lowered or thing.name_ko in line
    ]
    meant = dict(goal.customizations)
    if len(named) != 1 or others or named[0].code not in meant:
        return False
    taken = " ".join(m.group(0) for reply in outcome.replies for m in _TAKEN.finditer(reply))
    return re.search(_read_back_as(named[0], meant[named[0].code]), taken) is not None


def _read_back_as(item: Ingredient, amount: int) -> str:
    """A pattern for ``item`` at ``amount`` as a kiosk reads it back: "extra wine", "2
    extra wine", "no wine", "less wine (1)", "wine as it comes", "와인 추가", "와인 빼고"."""
    en, ko, extra = re.escape(item.name_en), re.escape(item.name_ko), amount - item.quantity
    if amount == 0:
        return rf"(?i:\bno {en}\b)|{ko} 빼고"
    if extra == 0:
        return rf"(?i:\b{en} as it comes\b)|{ko} 그대로"
    if extra == 1:
        return rf"(?i:(?<!\d )\bextra {en}\b)|{ko} 추가"
    if extra > 1:
        return rf"(?i:\b{extra} extra {en}\b)|{ko} {extra}개 추가"
    return rf"(?i:\bless {en} \({amount}\))|{ko} {amount}개로 줄여서"


def _change_line(item: Ingredient, amount: int, language: str) -> str:
    """A change said plainly: "No coffee.", "More wine.", "커피 빼 주세요"."""
    if language == "ko":
        return f"{item.name_ko} {'빼' if amount == 0 else '추가해'} 주세요"
    return f"{'No' if amount == 0 else 'More'} {item.name_en}."


def answer_to_a_question(response: str, dialogue: Dialogue, catalog: Catalog) -> str | None:
    """What the customer says to the kiosk's question about one ingredient ("more, less
    or none?"), or about the rest of a change not caught: only from what it means and
    what the reply says; ``None`` for any other reply."""
    goal, language = dialogue.goal, dialogue.language
    if goal is None:
        return None
    menu = catalog.menu(goal.menu)
    meant = dict(goal.customizations)
    item_asked = _ITEM_ASKED.search(response)
    if item_asked is not None:
        name = item_asked.group("en") or item_asked.group("ko")
        item = next((i for i in menu.ingredients if name in (i.name_en, i.name_ko)), None)
        if item is None:
            return None
        amount = meant.get(item.code, item.quantity)
        how = (
            "none" if amount == 0 else
            "more" if amount > item.quantity else
            "less" if amount < item.quantity else "same"
        )  # fmt: skip
        return _ITEM_ANSWERS[language][how].format(name=name)
    rest_asked = _REST_ASKED.search(response)
    if rest_asked is None:
        return None
    taken = rest_asked.group("said")
    lines = []
    for code, amount in sorted(meant.items()):
        item = menu.ingredient(code)
        if item.name_en in taken or item.name_ko in taken:
            continue
        lines.append(_change_line(item, amount, language))
    return " ".join(lines) or _NOTHING_ELSE[language]


def _reply_to_asking_back(response: str, dialogue: Dialogue, catalog: Catalog) -> str | None:
    """ "Yes" or "No" to a "Did you mean ...?" or a "Did I hear that right: ...?" ending
    ``response``, else ``None``."""
    if dialogue.goal is None:
        return None
    checked = _HEARD_RIGHT.search(response)
    if checked is not None:
        return _heard_right(checked.group("en") or checked.group("ko"), dialogue, catalog)
    question = re.search(r"(?:Did you mean ([^?]+)|([^.!?]+) 말씀이신가요)\?$", response)
    if question is None:
        return None
    asked = question.group(1) or question.group(2)
    menu = catalog.menu(dialogue.goal.menu)
    style = menu.allowed_style(dialogue.goal.style)
    meant = {menu.name_ko, menu.name_en} | ({style.name_ko, style.name_en} if style else set())
    yes, no = _YES_NO[dialogue.language]
    return yes if any(name in asked for name in meant) else no


_HEARD_RIGHT = re.compile(
    r"Did I hear that right: (?P<en>[^?]+)\?$|(?:^|[.!?]\s)(?P<ko>[^.!?]+), 맞게 들었나요\?$"
)


def _heard_right(changes: str, dialogue: Dialogue, catalog: Catalog) -> str:
    """ "Yes" when every ingredient in ``changes`` ("no wine, extra steak") is read as
    the customer means it, else "No"."""
    assert dialogue.goal is not None
    menu, meant = catalog.menu(dialogue.goal.menu), dict(dialogue.goal.customizations)
    named = [i for i in menu.ingredients if i.name_en in changes or i.name_ko in changes]
    right = all(
        re.search(_read_back_as(item, meant.get(item.code, item.quantity)), changes)
        for item in named
    )
    yes, no = _YES_NO[dialogue.language]
    return yes if named and right else no


async def _transcribe(
    client: QuartClient, audio: bytes, language: str, session_id: str | None
) -> tuple[str | None, str | None]:
    """The text ``POST /api/voice/stt`` heard, or ``None`` and why not."""
    form = {"language": language}
    if session_id is not None:
        form["session_id"] = session_id
    files = {"audio": FileStorage(io.BytesIO(audio), filename="turn.wav", content_type="audio/wav")}
    response = await client.post("/api/voice/stt", files=files, form=form)
    body = await response.get_json()
    if response.status_code != 200:
        return None, f"stt answered {response.status_code}: {body}"
    return str(body["text"]), None


async def _read_order(client: QuartClient, order_id: str, headers: dict[str, str]) -> Goal:
    response = await client.get(f"/api/orders/{order_id}", headers=headers)
    order = await response.get_json()
    (item,) = order["items"]
    return Goal(
        item["menu_code"],
        item["style_code"],
        item["quantity"],
        tuple(sorted(item["customizations"].items())),
    )


def completion_rate(outcomes: Sequence[Outcome]) -> float:
    """The share of ``outcomes`` that completed (0.0 for none)."""
    return sum(o.completed for o in outcomes) / len(outcomes) if outcomes else 0.0


async def catalog_and_recommendation(client: QuartClient) -> tuple[Catalog, str]:
    """The service's catalog (``GET /api/menus``) and the menu it recommends to a guest."""
    menus = await (await client.get("/api/menus")).get_json()
    catalog = as_catalog(menus)
    answer = await client.post(
        "/api/voice/analyze",
        json={"transcript": "What do you recommend?", "user_id": None, "session_id": None},
    )
    recommended = (await answer.get_json())["recommended_menu"]["code"]
    return catalog, str(recommended)
