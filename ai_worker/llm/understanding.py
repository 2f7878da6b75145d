"""What one utterance says: menu, style, quantity, ingredient changes, intents."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from ai_worker.llm import lexicon as lx
from ai_worker.llm.matching import Guess, nearest
from ai_worker.llm.text import Found, Utterance, normalize, phrase_regex
from domain.catalog import Catalog
from domain.language import Language, text_language
from domain.number_words import EN_VAGUE, KO_NATIVE_ALONE, KO_VAGUE

ChangeOp = Literal["set", "add", "less", "remove", "double"]
FLAGS = {
    "cancel": lx.CANCEL,
    "back": lx.BACK,
    "usual": lx.USUAL,
    "recommend": lx.RECOMMEND,
    "detail_inquiry": lx.DETAIL_INQUIRY,
    "inquiry": lx.INQUIRY,
    "confirm": lx.CONFIRM,
    "done": lx.DONE,
    "no": lx.NO,
    "greeting": lx.GREETING,
}


@dataclass(frozen=True, slots=True)
class Change:
    """An ingredient change: ``set`` to, ``add``/``less`` by ``amount``, ``remove``, ``double``."""

    code: str
    op: ChangeOp
    amount: int = 1


@dataclass(frozen=True, slots=True)
class Wishes:
    """What a recommendation should fit: an occasion, how many people, a budget in
    won, and what to avoid (``alcohol``, ``meat``)."""

    occasion: str | None = None
    people: int | None = None
    budget: int | None = None
    avoid: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.occasion or self.people or self.budget or self.avoid)

    def joined(self, later: Wishes) -> Wishes:
        """These wishes with ``later`` ones said after them (the later wins)."""
        return Wishes(
            later.occasion or self.occasion,
            later.people or self.people,
            later.budget or self.budget,
            self.avoid | later.avoid,
        )


@dataclass(slots=True)
class Understanding:
    """Everything the rules engine read from one utterance."""

    language: Language
    text: str = ""
    """The utterance, normalized (lower case, no punctuation)."""
    menu_code: str | None = None
    style_code: str | None = None
    quantity: int | None = None
    """How many, as said: possibly out of range (refused, then asked again)."""
    vague_quantity: bool = False
    """Several, but not how many ("a few", "두어 개"): asked, never guessed."""
    changes: list[Change] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    menu_guess: str | None = None
    """A menu the words nearly name: to be asked back, not taken."""
    wishes: Wishes = field(default_factory=Wishes)
    pick: int | None = None
    """Which of the dinners offered ("the second one"), counting from 0."""
    style_guess: str | None = None
    number_homophone: bool = False
    """A word recognition writes for a number ("for", "to", "free") was left unread."""
    items_unread: list[str] = field(default_factory=list)
    """Ingredients named with no change heard ("and the coffee"): asked, not ignored."""
    words_unread: int = 0
    """English words left unread that are not the dialogue's own ("look", "off")."""
    correction: bool = False
    """A correction's words ("actually", "make it", "I meant", "바꿔"), whatever they
    correct."""
    change_unread: bool = False
    """A change's word before a number where an ingredient was expected ("No one." for
    "No wine", "More one."): the ingredient not caught, and no quantity."""
    changes_checked: bool = False
    """Its changes are those of the line before, asked back at the read-back ("Did I
    hear that right: no champagne?") and answered yes: taken without asking again."""

    @property
    def understood_nothing(self) -> bool:
        """Whether not one word of the utterance was read as anything."""
        return not (
            self.has_order_details
            or self.flags
            or self.wishes
            or self.menu_guess
            or self.style_guess
            or self.pick is not None
        )

    @property
    def has_order_details(self) -> bool:
        """Whether the utterance names any part of an order."""
        return bool(
            self.menu_code
            or self.style_code
            or self.quantity
            or self.vague_quantity
            or self.changes
        )


def understand(transcript: str, catalog: Catalog, language_hint: str | None) -> Understanding:
    """Read ``transcript`` against ``catalog``; pure and deterministic."""
    said = Utterance(transcript)
    result = Understanding(language=text_language(transcript, language_hint), text=said.text)
    menu_phrases = _menu_phrases(catalog)
    # "three Champagne Feast Dinners": the champagne there is the menu's name,
    # not an ingredient to set to three.
    long_names = [f for f in said.find(menu_phrases) if " " in said.text[f.start : f.end]]
    # So is the cake of a "custom cake" nearly said ("커텀 케이크 세 세트").
    near = nearest(said.text, [p for p in menu_phrases if " " in p[1]], _common_words(catalog))
    if near is not None:
        long_names.append(Found(near.tag, near.start, near.end))
    result.changes = list(_take_changes(said, catalog, long_names))
    if said.take(lx.CHANGE_MENU):
        result.flags.add("change_menu")
    if said.take(lx.CHANGE_STYLE):
        result.flags.add("change_style")
    menus = _take_all(said, menu_phrases)
    result.menu_code = menus[-1].tag if menus else None
    result.style_code = _take_last(said, _style_phrases(catalog))
    common = _common_words(catalog)
    if result.menu_code is None:
        result.menu_code, result.menu_guess = _guess(said, menu_phrases, common)
    if menus and _also_an_ingredient(said.text[menus[-1].start : menus[-1].end], catalog):
        # "a bottle of champagne" may be the Champagne Feast or the drink: asked back.
        result.menu_code, result.menu_guess = None, menus[-1].tag
    if result.style_code is None:
        result.style_code, result.style_guess = _guess(said, _style_phrases(catalog), common)
    result.wishes = _take_wishes(said, menus)
    result.pick = _take_pick(said)
    result.correction = _CORRECTION.search(said.text) is not None
    while said.take_pattern(_REPLACED_QUANTITY):
        pass  # "not four, two": the four is no quantity, nor a change of "no" one
    result.change_unread = said.take_pattern(_CHANGE_OF_A_NUMBER) is not None
    result.quantity, result.vague_quantity, replaced = _take_quantity(said, menus)
    result.number_homophone = _ANY_HOMOPHONE.search(said.rest) is not None
    result.items_unread = [found.tag for found in said.find(_ingredient_phrases(catalog))]
    result.words_unread = sum(w.isascii() and w not in common for w in said.rest.split())
    if replaced and result.words_unread:
        # "Hmm, two would be better" heard "Home, two, one, be better.": a number said
        # again at once corrects it only when the line is read in full; among words
        # not caught, either may be a word misheard. Asked, not the last one taken.
        result.quantity, result.vague_quantity = None, True
    for flag, phrases in FLAGS.items():
        if said.has(phrases):
            result.flags.add(flag)
    if re.search(rf"(?<![가-힣])(?:{'|'.join(lx.CONFIRM_WORDS)})요?(?![가-힣])", said.rest):
        result.flags.add("confirm")
    if result.wishes and result.menu_code is None:
        result.flags.add("recommend")  # "something for a romantic evening?"
    if "recommend" in result.flags and not (result.menu_code or result.menu_guess):
        # "What's good for the two members?": asking what to order, the number counts
        # people, not dinners.
        people = result.wishes.people or result.quantity
        result.wishes, result.quantity = replace(result.wishes, people=people), None
    return result


def _guess(
    said: Utterance, phrases: list[tuple[str, str]], common: frozenset[str]
) -> tuple[str | None, str | None]:
    """``(taken, asked)``: a near match that is sure is taken, a less sure one asked."""
    guess: Guess | None = nearest(said.rest, phrases, common)
    if guess is None:
        return None, None
    said.consume(guess.start, guess.end)
    return (guess.tag, None) if guess.sure else (None, guess.tag)


def _also_an_ingredient(name: str, catalog: Catalog) -> bool:
    """Whether the words that named a menu name an ingredient too ("champagne")."""
    return any(phrase_regex(p).fullmatch(name) for _, p in _ingredient_phrases(catalog))


def _common_words(catalog: Catalog) -> frozenset[str]:
    """Words of the dialogue itself and of ingredient names, never a near menu or style."""
    phrases = [
        *lx.COMMON_WORDS,
        *lx.EN_NUMBERS,
        *lx.EN_NUMBER_HOMOPHONES,
        *(p for _, p in _ingredient_phrases(catalog)),
        *(p for phrases in FLAGS.values() for p in phrases),
    ]
    return frozenset(word for phrase in phrases for word in normalize(phrase).split())


def _names(code: str, *names: str, synonyms: dict[str, tuple[str, ...]]) -> Iterator[str]:
    yield code
    yield code.replace("_", " ")
    for name in names:
        yield name
        # "프렌치 디너" is also called "프렌치"; "French Dinner" "French".
        for suffix in (" 디너", "디너", " dinner"):
            if name.lower().endswith(suffix) and len(name) > len(suffix) + 1:
                yield name[: -len(suffix)]
    yield from synonyms.get(code, ())


def _menu_phrases(catalog: Catalog) -> list[tuple[str, str]]:
    return [
        (menu.code, phrase)
        for menu in catalog.menus
        for phrase in _names(menu.code, menu.name_ko, menu.name_en, synonyms=lx.MENU_SYNONYMS)
    ]


def _style_phrases(catalog: Catalog) -> list[tuple[str, str]]:
    return [
        (style.code, phrase)
        for style in catalog.all_styles()
        for phrase in _names(style.code, style.name_ko, style.name_en, synonyms=lx.STYLE_SYNONYMS)
    ]


def _ingredient_phrases(catalog: Catalog) -> list[tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for menu in catalog.menus:
        for item in menu.ingredients:
            seen.setdefault(item.code, (item.name_ko, item.name_en))
    return [
        (code, phrase)
        for code, (name, name_en) in seen.items()
        for phrase in _names(code, name, name_en, synonyms=lx.INGREDIENT_SYNONYMS)
    ]


def _take_all(said: Utterance, phrases: list[tuple[str, str]]) -> list[Found]:
    found = said.find(phrases)
    for item in found:
        said.consume(item.start, item.end)
    return found


def _take_last(said: Utterance, phrases: list[tuple[str, str]]) -> str | None:
    found = _take_all(said, phrases)
    # "not the French, the English dinner": the last one named wins.
    return found[-1].tag if found else None


def _alternation(phrases: tuple[str, ...]) -> str:
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in sorted(phrases, key=len)[::-1])


_EN_MORE = re.compile(
    rf"(?:(?P<n1>{lx.EN_NUMBER})\s+)?(?:{_alternation(lx.EN_MORE)})\s+"
    rf"(?:(?P<n2>{lx.EN_NUMBER})\s+)?(?:{lx.EN_UNITS})?$"
)
_EN_SET = re.compile(rf"(?P<n1>{lx.EN_NUMBER})\s+(?:{lx.EN_UNITS})?$")
_EN_REMOVE = re.compile(rf"(?:{_alternation(lx.EN_REMOVE)})\s+(?:any\s+|the\s+)?$")
_EN_LESS = re.compile(rf"(?:{_alternation(lx.EN_LESS)})\s+$")
_EN_DOUBLE = re.compile(rf"(?:{_alternation(lx.EN_DOUBLE)})\s+$")
_KO_AMOUNT = rf"(?P<n1>{lx.KO_NUMBER})\s*{lx.KO_COUNTERS}?"
_KO_MORE = re.compile(rf"^{lx.KO_PARTICLE}(?:{_KO_AMOUNT}\s*)?{lx.KO_MORE}")
_KO_LESS = re.compile(rf"^{lx.KO_PARTICLE}{lx.KO_LESS}")
_KO_REMOVE = re.compile(rf"^{lx.KO_PARTICLE}{lx.KO_REMOVE}")
_KO_DOUBLE = re.compile(rf"^{lx.KO_PARTICLE}{lx.KO_DOUBLE}")
_KO_SET = re.compile(rf"^{lx.KO_PARTICLE}{_KO_AMOUNT}")


def _take_changes(said: Utterance, catalog: Catalog, names: list[Found]) -> Iterator[Change]:
    text = said.text
    for mention in said.find(_ingredient_phrases(catalog)):
        if any(n.start <= mention.start and mention.end <= n.end for n in names):
            continue
        before, after = text[: mention.start], text[mention.end :]
        change = _change_before(mention, before) if before.isascii() or not after else None
        if change is None:
            change = _change_after(mention, after)
        if change is not None:
            kind, span = change
            said.consume(*span)
            yield kind


def _change_before(mention: Found, before: str) -> tuple[Change, tuple[int, int]] | None:
    window = before[-40:]
    offset = mention.start - len(window)
    patterns: list[tuple[re.Pattern[str], ChangeOp]] = [
        (_EN_MORE, "add"),
        (_EN_REMOVE, "remove"),
        (_EN_LESS, "less"),
        (_EN_DOUBLE, "double"),
        (_EN_SET, "set"),
    ]
    for pattern, op in patterns:
        match = pattern.search(window)
        if match:
            amount = _amount(match) or (0 if op == "set" else 1)
            return Change(mention.tag, op, amount), (offset + match.start(), mention.end)
    return None


def _change_after(mention: Found, after: str) -> tuple[Change, tuple[int, int]] | None:
    patterns: list[tuple[re.Pattern[str], ChangeOp]] = [
        (_KO_LESS, "less"),
        (_KO_DOUBLE, "double"),
        (_KO_MORE, "add"),
        (_KO_REMOVE, "remove"),
        (_KO_SET, "set"),
    ]
    for pattern, op in patterns:
        match = pattern.search(after)
        if match:
            amount = _amount(match) or 1
            return Change(mention.tag, op, amount), (mention.start, mention.end + match.end())
    return None


def _amount(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    word = groups.get("n1") or groups.get("n2")
    return lx.number_value(word) if word else None


_CORRECTION = re.compile(
    r"(?<![a-z'])(?:actually|make it|change (?:that|it|the \w+) to|i meant|instead|wait)(?![a-z'])"
    r"|바꿔|바꿀|변경|말고"
)
_CHANGE_OF_A_NUMBER = re.compile(
    rf"(?<![a-z0-9'])(?:{_alternation((*lx.EN_MORE, *lx.EN_REMOVE, *lx.EN_LESS))})\s+"
    rf"(?:{lx.EN_NUMBER}|{'|'.join(lx.EN_NUMBER_HOMOPHONES)})(?![a-z0-9'])"
)
"""More, no, without... then a number: "No one." was "No wine", never a quantity."""
_EN_QUANTITY = re.compile(
    rf"(?<![a-z0-9']){lx.EN_NUMBER}(?![a-z0-9'])(?!\s+(?:more|extra|of\s+the(?![a-z])|o'clock))"
)
_EN_NEXT_NUMBER = re.compile(rf"\s+(?P<n>{lx.EN_NUMBER})(?![a-z0-9'])")
_EN_NOT_QUANTITY = re.compile(r"\b(?:that|this|the|which|other|first|second|last)\s+one\b")
_KO_QUANTITY = re.compile(
    rf"(?:{lx.KO_NUMBER})\s*{lx.KO_COUNTERS}"
    rf"|(?<![가-힣])(?:{lx.KO_SINO_NUMBER})\s*{lx.KO_SINO_COUNTERS}"
    rf"|(?<![가-힣])(?:{'|'.join(KO_NATIVE_ALONE)})(?=(?:만|요|만요)?(?![가-힣]))"
    r"|(?<![0-9])\d{1,3}(?![0-9])"
)
_REPLACED_QUANTITY = re.compile(
    rf"(?:{_KO_QUANTITY.pattern})\s*(?:은|는)?\s*말고"
    rf"|(?<![a-z'])not\s+(?:{lx.EN_NUMBER})\s*,?\s*(?:but\s+)?(?=(?:{lx.EN_NUMBER})(?![a-z0-9']))"
)
"""The number a correction replaces: "5인분 말고 4인분으로", "not four, two" (the number
read back again was placed)."""
_COUNTER_SUFFIX = re.compile(rf"\s*(?:{lx.KO_COUNTERS}|{lx.KO_SINO_COUNTERS})$")
_HOMOPHONE = re.compile(rf"(?<![a-z0-9'])(?P<word>{'|'.join(lx.EN_NUMBER_HOMOPHONES)})\s+$")
_ANY_HOMOPHONE = re.compile(rf"(?<![a-z0-9'])(?:{'|'.join(lx.EN_NUMBER_HOMOPHONES)})(?![a-z0-9'])")
# "go for the French dinner" is a choice, not four of them.
_NOT_FOUR = re.compile(r"(?:go|going|went|opt|opting|looking|ask|asking|vote|ready)\s+for\s+$")
_HOMOPHONE_ANSWER = re.compile(
    rf"(?:^\s*|(?:take|make it|just|only)\s+)(?P<word>{'|'.join(lx.EN_NUMBER_HOMOPHONES)})"
    r"(?:\s+(?:please|of them|instead))?\s*$"
)
_ARTICLE = re.compile(r"(?<![a-z0-9'])an?\s+$")


_NUMBER_WORD = rf"(?:{lx.EN_NUMBER}|{lx.KO_NUMBER})"
_PEOPLE = re.compile(
    rf"(?P<n>{_NUMBER_WORD})\s*(?:people|persons|guests|of us|members|명이서|명이|명|사람|인용)"
    r"|(?P<alone>둘|셋|넷)이서?(?![가-힣])|(?P<one>혼자|just me|for one)"
)
_BUDGET = re.compile(
    r"(?P<n>\d{1,3}(?:[ ,]\d{3})+|\d+)\s*(?P<unit>k|thousand|만)?"
    r"\s*(?:(?P<won>won|krw|원)|(?:ones?|wan|want)(?![a-z0-9'])|(?![a-z0-9']))"
)
_BUDGET_AT_LEAST = 1000
"""A sum of money this big is a budget even with no "won" heard ("45,000 one", as speech
recognition writes "won"): no order counts that many dinners."""
_PICK_THEN = r"(?:one|ones|option|dinner|menu|please|thanks|thank|style|and|then|instead)\b"
_PICK = re.compile(
    "|".join(
        rf"(?:the\s+)?{re.escape(word)}(?:\s+one)?"
        + (rf"(?![a-z0-9'])(?!\s+(?!{_PICK_THEN})[a-z])" if word.isascii() else "")
        for word in sorted(lx.ORDINALS, key=len)[::-1]
    )
)
"""An ordinal choosing an offered dinner; in English only as a word of its own, followed
by nothing or a word that may follow a choice ("Third round" for "The Grand one" is no
third dinner)."""


def _take_wishes(said: Utterance, menus: list[Found]) -> Wishes:
    """The occasion, party, budget and dislikes said; the party and budget consumed (two
    of us is no quantity; with a menu named, "다섯 명이요" is five dinners)."""
    occasion = next((o for o, words in lx.OCCASIONS.items() if said.has(words)), None)
    # Consumed: the "nothing" of "nothing alcoholic" is no "that's all".
    avoid = frozenset(a for a, words in lx.AVOIDS.items() if said.take(words))
    people = None
    party = None if menus else said.take_pattern(_PEOPLE)
    if party is not None and party.group("one"):
        people = 1
    elif party is not None:
        people = lx.number_value(party.group("n") or party.group("alone"))
    return Wishes(occasion, people, _take_budget(said), avoid)


def _take_budget(said: Utterance) -> int | None:
    """A sum of money said, in won: with "won" (or "원") after it, or big enough that it
    can be nothing else; consumed, "won" and any word recognition wrote for it too."""
    for money in _BUDGET.finditer(said.rest):
        unit = {"k": 1000, "thousand": 1000, "만": 10000}.get(money.group("unit") or "", 1)
        budget = int(re.sub(r"\D", "", money.group("n"))) * unit
        if money.group("won") or budget >= _BUDGET_AT_LEAST:
            said.consume(money.start(), money.end())
            return budget
    return None


def _take_pick(said: Utterance) -> int | None:
    match = said.take_pattern(_PICK)
    if match is None:
        return None
    word = next(w for w in sorted(lx.ORDINALS, key=len)[::-1] if w in match.group(0))
    return lx.ORDINALS[word]


def _phrases(phrases: Iterable[str]) -> str:
    """An alternation of ``phrases``, longest first; spaces in them match any space."""
    return "|".join(
        r"\s*".join(map(re.escape, p.split())) if not p.isascii() else r"\s+".join(p.split())
        for p in sorted(phrases, key=len, reverse=True)
    )


_EN_COUNT = re.compile(rf"(?<![a-z0-9'])(?:{_phrases(lx.EN_COUNTS)})(?![a-z0-9'])")
_KO_COUNT = re.compile(rf"(?<![가-힣])(?:{_phrases(lx.KO_COUNTS)})")
_EN_VAGUE = re.compile(rf"(?<![a-z0-9'])(?:{_phrases(EN_VAGUE)})(?![a-z0-9'])")
_EN_VAGUE_UNIT = re.compile(r"\s+(?:of\s+them|of\s+those|dinners?|orders?|sets?|portions?)\b")
_KO_VAGUE = re.compile(rf"(?<![가-힣])(?:{_phrases(KO_VAGUE)})\s*{lx.KO_COUNTERS}")


def _take_quantity(said: Utterance, menus: list[Found]) -> tuple[int | None, bool, bool]:
    """``(quantity, vague, replaced)``: the number said (any size: the caller checks the
    range), whether a vague one ("a few") was, and whether another number said right
    before it was replaced by it ("five, three")."""
    while said.take_pattern(_EN_NOT_QUANTITY):
        pass
    for pattern in (_EN_COUNT, _KO_COUNT):
        count = said.take_pattern(pattern)
        if count is not None:
            return lx.number_value(count.group(0)), False, False
    if said.take_pattern(_KO_VAGUE) or _take_vague(said, menus):
        return None, True, False
    return _take_number(said, menus)


def _take_vague(said: Utterance, menus: list[Found]) -> bool:
    """ "a few French dinners", "several of them", or "a few" alone."""
    match = _EN_VAGUE.search(said.rest)
    if match is None:
        return False
    after = said.rest[match.end() :]
    if menus or _EN_VAGUE_UNIT.match(after) or not after.replace("please", "").strip():
        said.consume(match.start(), match.end())
        return True
    return False


_COUNTED_AS = frozenset(
    ("of", "the", "those", "these", "your", "more", "orders", "order", "portions", "portion",
     "servings", "serving", "sets", "set", "plates", "plate")
)  # fmt: skip
"""Words that may stand between a number and the menu it counts ("two orders of the")."""


def _words_between(said: Utterance, start: int, end: int) -> bool:
    """Whether the unread text between ``start`` and ``end`` has words that don't count."""
    return any(word not in _COUNTED_AS for word in said.rest[start:end].split())


def _take_number(said: Utterance, menus: list[Found]) -> tuple[int | None, bool, bool]:
    """``(quantity, unclear, replaced)`` of a number said, or of a word speech recognition
    writes for one; unclear (to be asked) when that word may be no number at all."""
    korean = re.search("[가-힣]", said.text)
    # "French 디너 two please": a Korean sentence may still count in English.
    match = said.take_pattern(_KO_QUANTITY) if korean else None
    match = match or said.take_pattern(_EN_QUANTITY)
    if match is not None:
        word, replaced = match.group(0), False
        # "five, three, please": a number said again at once corrects it; the last wins.
        while not korean and (again := _EN_NEXT_NUMBER.match(said.rest, match.end())):
            said.consume(again.start(), again.end())
            replaced |= lx.number_value(again.group("n")) != lx.number_value(word.strip())
            word, match = again.group("n"), again
        if not korean and menus and _words_between(said, match.end(), menus[0].start):
            # "One Done English Dinners" ("one dozen"): a word between the number and
            # the menu may have been part of the number.
            return None, True, False
        return lx.number_value(_COUNTER_SUFFIX.sub("", word.strip())), False, replaced
    if korean:
        return None, False, False
    alone = None if menus else _HOMOPHONE_ANSWER.search(said.rest)
    if alone:
        # "I'll take free", "make it free", or "free" alone: the answer to how many.
        said.consume(alone.start("word"), alone.end("word"))
        return lx.number_value(alone.group("word")), False, False
    if not menus:
        return None, False, False
    before = said.rest[: menus[0].start]
    homophone = _HOMOPHONE.search(before)
    if homophone and not _NOT_FOUR.search(before):
        # "I'd like to English dinners", "free Valentine dinners": "a", "the" or "two"
        # misheard, or the word itself; read exactly, it would have been the number.
        said.consume(homophone.start(), homophone.end())
        return None, True, False
    # "a French dinner" is one of them; "the French dinner" says nothing of how many.
    return (1 if _ARTICLE.search(before) else None), False, False
