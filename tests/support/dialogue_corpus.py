"""Ordering conversations generated from a catalog, with the order each one means.

Two corpora: typed (Korean and English) and spoken (English, said by
espeak-ng). Each conversation is what a customer says, line by line, and the
order it must end in (or ``None``: the customer cancels and nothing may be
placed). The paraphrase templates are this module's own; a seeded random
generator picks menus, styles, numbers and phrasings, so a corpus is the same
on every run. ``held_out`` splits it in two halves by a hash of the name: tune
on the development half, only measure the held-out one. ``tuning_corpus`` is a
third, spoken sample seeded apart from both, to tune on at a size where a
change shows.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from domain.catalog import MAX_INGREDIENT_QUANTITY, Catalog, Ingredient, Menu, Style
from domain.number_words import english_number, korean_native, korean_sino

FIRST_KINDS = ("one_shot", "multi_turn", "correction", "cancel", "recommendation", "out_of_range")
NEW_KINDS = ("number_phrase", "customization", "recommendation_context", "mixed_language", "typo")
"""Kinds drawn from a generator of their own, so the first kinds' conversations stay as
they were."""
KINDS = (*FIRST_KINDS, *NEW_KINDS)
SPOKEN_KINDS = (*FIRST_KINDS, "number_phrase", "customization", "recommendation_context")
"""A typo or a Korean word in an English sentence is not something espeak-ng says."""
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb+f2")
SPEEDS = (135, 150, 165, 180)


@dataclass(frozen=True, slots=True)
class Goal:
    """The order a conversation means."""

    menu: str
    style: str
    quantity: int
    customizations: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Dialogue:
    """One conversation: the customer's lines and the order they mean."""

    name: str
    kind: str
    language: str
    lines: tuple[str, ...]
    goal: Goal | None
    voice: str = ""
    speed: int = 0
    how_many: str = ""
    """What the customer says when the kiosk asks how many (only then); empty: nothing."""

    @property
    def held_out(self) -> bool:
        """In the held-out half (measured only), else the development half."""
        return hashlib.sha256(self.name.encode()).digest()[0] % 2 == 1


# English -----------------------------------------------------------------------------
_EN_GREETINGS = ("Hi", "Hello", "Good evening", "Hey there", "Hello, I'd like to order")
_EN_ONE_SHOT = (
    "I'd like {qty} {menu}, {style} style please",
    "Can I get {qty} {menu} in {style} style?",
    "{qty} {menu}, {style}",
    "We'll have {qty} {menu} with the {style} style",
    "Give me {qty} {menu}, make it {style}",
    "Could we order {qty} {menu}? {style} style, please.",
    "I want {qty} {menu} in the {style} style",
    "{qty} {menu} please, {style} style",
)
_EN_MENU = (
    "I'd like the {menu}",
    "The {menu}, please",
    "Can I have the {menu}?",
    "{menu} please",
    "I think I'll go with the {menu}",
    "Let me get the {menu}",
)
_EN_STYLE = ("{style} style", "{style}, please", "Make it {style}", "The {style} one", "{style}")
_EN_QTY = ("{qty}, please", "{qty}", "I'll take {qty}", "Just {qty}", "{qty} of them")
_EN_CORRECT_QTY = (
    "Actually, make it {qty}",
    "Sorry, I meant {qty}",
    "Change that to {qty} please",
    "Wait, {qty} of them",
)
_EN_CORRECT_STYLE = (
    "Actually, {style} style instead",
    "No wait, make it {style}",
    "Can you change the style to {style}?",
)
_EN_CORRECT_MENU = ("Actually, the {menu} instead", "No wait, I want the {menu}")
_EN_CANCEL = (
    "Never mind, cancel the order",
    "Cancel please",
    "Actually forget it",
    "I want to cancel",
)
_EN_RECOMMEND = ("What do you recommend?", "Any recommendations?", "What's good tonight?")
_EN_ACCEPT = ("Sounds good", "Yes, I'll take it", "OK, let's do that", "Sure")
_EN_INSTEAD = ("Hmm, I'd rather have the {menu}", "No thanks, the {menu} please")
_EN_TOO_MANY = ("{big} {menu}, {style} style", "I need {big} {menu} in {style} style")
_EN_AFTER_RANGE = ("OK, then {qty}", "Fine, {qty} please", "Then {qty}")
_EN_STYLE_REFUSED = ("{qty} {menu}, {style} style", "{qty} {menu} in {style} style please")
_EN_THEN_STYLE = ("{style} then", "OK, {style} style")
_EN_MORE = ("more {ing}", "extra {ing} please", "Could I have more {ing}?")
_EN_NO = ("no {ing}", "without {ing} please", "hold the {ing}")
_EN_FOLLOW_UP = "Yes, please place the order"

# Korean ------------------------------------------------------------------------------
_KO_GREETINGS = ("안녕하세요", "안녕", "주문할게요", "저기요")
_KO_ONE_SHOT = (
    "{menu} {qty} {style} 스타일로 주세요",
    "{menu}로 {qty} 주세요. 스타일은 {style}요",
    "{style} 스타일로 {menu} {qty} 부탁해요",
    "{menu} {qty}, {style}로 할게요",
    "{menu} {style}로 {qty} 주문할게요",
)
_KO_MENU = ("{menu}로 할게요", "{menu} 주세요", "{menu}요", "저는 {menu}로 주문할게요")
_KO_STYLE = ("{style}요", "{style} 스타일로 할게요", "{style}로 해 주세요", "{style}로요")
_KO_QTY = ("{qty}요", "{qty} 주세요", "{qty}로 할게요")
_KO_CORRECT_QTY = ("아니 {qty}로 해 주세요", "수량을 {qty}로 바꿔 주세요", "{qty}로 바꿀게요")
_KO_CORRECT_STYLE = ("아니 {style}로", "스타일은 {style}로 바꿔 주세요", "아니요, {style}로 할게요")
_KO_CORRECT_MENU = ("아니 {menu}로 바꿀게요", "{menu}로 바꿔 주세요")
_KO_CANCEL = ("주문 취소할게요", "취소해 주세요", "그만할게요", "주문 안 할래요")
_KO_RECOMMEND = ("추천해 주세요", "뭐가 좋을까요? 추천해 주세요", "추천 메뉴 있어요?")
_KO_ACCEPT = ("그걸로 할게요", "좋아요", "네 그걸로 주세요")
_KO_INSTEAD = ("음, {menu}로 할게요", "아니요, {menu} 주세요")
_KO_TOO_MANY = ("{menu} {big}개 {style}로 주세요",)
_KO_AFTER_RANGE = ("그럼 {qty}로 할게요", "그러면 {qty} 주세요")
_KO_STYLE_REFUSED = ("{menu} {qty} {style} 스타일로 주세요", "{style} 스타일로 {menu} {qty} 주세요")
_KO_THEN_STYLE = ("그럼 {style}로 할게요", "{style}로 해 주세요")
_KO_MORE = ("{ing} 추가해 주세요", "{ing} 하나 더 주세요", "{ing} 더 주세요")
_KO_NO = ("{ing} 빼 주세요", "{ing}는 빼고 주세요", "{ing} 없이 해 주세요")
_KO_FOLLOW_UP = "네, 주문해 주세요"

# The kinds added for number phrases, context, mixed language and typos ----------------
# Exact number phrases and their values; vague ones ("a few") and ones over the limit
# ("two dozen") are said, then the number meant once the kiosk asks how many.
_EN_EXACT = {"a dozen": 12, "half a dozen": 6, "a couple of": 2, "one dozen": 12}
_KO_EXACT = {"한 다스": 12, "반 다스": 6}
_EN_VAGUE = ("a few", "several", "some", "a couple or so")
_KO_VAGUE = ("두어 개", "서너 개", "몇 개", "여러 개")
_EN_OVER = ("two dozen", "three dozen", "a hundred")
_KO_OVER = ("두 다스", "백 개", "서른 개")
_EN_PHRASE_ORDER = (
    "I need {phrase} {menu} in {style} style",
    "{phrase} {menu}, {style} please",
    "Could we get {phrase} {menu}? {style} style.",
)
_KO_PHRASE_ORDER = ("{menu} {phrase} {style}로 주세요", "{style} 스타일로 {menu} {phrase} 부탁해요")
_EN_AFTER_NAME = ("{menu}, {phrase} please, {style} style", "{menu} {phrase}, {style}")
_EN_TWO_CHANGES = (
    "extra {more} and no {less}",
    "more {more}, without {less} please",
    "add {more} and hold the {less}",
)
_KO_TWO_CHANGES = ("{more} 추가하고 {less} 빼 주세요", "{more} 더 주시고 {less}는 빼 주세요")
# (what the customer asks, in English and Korean) for each wish a catalog can answer
_EN_WISHES = {
    "romantic": ("Something for a romantic evening?", "It's our anniversary, what do you suggest?",
                 "I'm planning a date tonight, any recommendation?"),
    "no_alcohol": ("What do you recommend without alcohol?", "I don't drink, what's good?"),
    "budget": ("What do you recommend under {budget} won?",
               "Anything good for {budget} won or less?"),
    "for_two": ("What's good for the two of us?", "We are two people, what do you recommend?"),
    "celebration": ("We're celebrating tonight, what do you recommend?",
                    "Something for a celebration?"),
}  # fmt: skip
_KO_WISHES = {
    "romantic": ("로맨틱한 저녁에 어울리는 거 추천해 주세요", "기념일인데 뭐가 좋을까요?",
                 "데이트하는데 추천해 주세요"),
    "no_alcohol": ("술 없는 걸로 추천해 주세요", "술을 못 마시는데 뭐가 좋을까요?"),
    "budget": ("{budget}원 이하로 추천해 주세요", "{budget}원 안에서 뭐가 좋을까요?"),
    "for_two": ("두 명이서 먹을 건데 뭐가 좋을까요?", "둘이서 먹을 거 추천해 주세요"),
    "celebration": ("축하하는 자리인데 뭐가 좋을까요?", "파티용으로 추천해 주세요"),
}  # fmt: skip
_EN_TAKE = ("Sounds good", "Sure, that one", "OK, I'll take it", "Yes please")
_KO_TAKE = ("좋아요, 그걸로 주세요", "그걸로 할게요", "네 그걸로요")
_EN_MIXED = (
    "{menu_mixed} {qty} please, {style} style",
    "{menu_en} {qty_ko} {style_ko}로요",
)
_KO_MIXED = (
    "{menu_en} {qty_ko} {style_ko}로 주세요",
    "{menu_ko} {qty} please, {style_ko} 스타일로",
    "{menu_ko} {qty_ko}, {style} style",
)
_EN_TYPO = (
    "{qty} {menu}, {style} style please",
    "I'd like {qty} {menu} in {style} style",
    "{qty} {menu} {style}",
)
_KO_TYPO = ("{menu} {qty} {style}로 주세요", "{style} 스타일로 {menu} {qty} 부탁해요")

# The later conversations of the three kinds where wrong orders were seen (corrections,
# customizations, recommendations in context), in phrasings of their own ----------
_EN_FIX_QTY = (
    "Sorry, not {old}, {qty}",
    "Oh wait, I need {qty} of those",
    "Let me change the number to {qty}",
    "Hmm, {qty} would be better",
)
_KO_FIX_QTY = (
    "{old} 말고 {qty}로 해 주세요",
    "아 잠깐만요, {qty}로 할게요",
    "개수를 {qty}로 변경해 주세요",
)
_EN_FIX_STYLE = (
    "Oh sorry, not {old}, {style}",
    "On second thought, {style} style",
    "Let me switch to the {style} style",
)
_KO_FIX_STYLE = (
    "{old} 말고 {style}로 해 주세요",
    "스타일 {style}로 변경할게요",
    "다시 생각해 보니 {style}가 좋겠어요",
)
_EN_FIX_MENU = (
    "Sorry, I said the wrong dinner, the {menu} please",
    "Let me switch to the {menu}",
    "On second thought, make it the {menu}",
)
_KO_FIX_MENU = ("{old} 말고 {menu}로 주세요", "메뉴를 {menu}로 변경해 주세요")
_EN_ONE_CHANGE_MORE = (
    "with extra {ing}, please",
    "Can you add some more {ing}?",
    "and a bit more {ing}",
)
_EN_ONE_CHANGE_NO = (
    "Please take out the {ing}",
    "I don't want any {ing}",
    "and leave out the {ing}",
)
_KO_ONE_CHANGE_MORE = ("{ing} 많이 주세요", "{ing} 좀 더 넣어 주세요")
_KO_ONE_CHANGE_NO = ("{ing}는 안 넣어 주세요", "{ing} 없이요", "{ing}는 필요 없어요")
_EN_WISHES_AGAIN = {
    "romantic": ("It is date night tonight, what would you pick?",
                 "I want to surprise my wife with something romantic"),
    "no_alcohol": ("Nothing alcoholic please, what would you suggest?",
                   "Which dinner comes without any alcohol?"),
    "budget": ("My budget is {budget} won, what can I get?",
               "I only have {budget} won, what would you suggest?"),
    "for_two": ("Dinner for two, what do you suggest?",
                "Just the two of us tonight, what should we get?"),
    "celebration": ("It's my birthday today, what should we get?",
                    "We have something to celebrate, what's your suggestion?"),
}  # fmt: skip
_KO_WISHES_AGAIN = {
    "romantic": ("여자친구랑 데이트인데 뭐 먹을까요?", "분위기 있는 저녁 추천해 주세요"),
    "no_alcohol": ("술 안 들어간 메뉴 있어요?", "운전해야 해서 술 없는 걸로 추천해 주세요"),
    "budget": ("예산이 {budget}원인데 뭐가 있어요?",
               "{budget}원으로 먹을 수 있는 거 추천해 주세요"),
    "for_two": ("저희 둘이 먹을 만한 거 있어요?", "2인용으로 추천해 주세요"),
    "celebration": ("오늘 생일인데 뭐가 좋을까요?", "승진 축하하는 자리예요, 추천해 주세요"),
}  # fmt: skip
_EN_TAKE_AGAIN = ("That sounds perfect", "Let's go with that", "OK, that one please")
_KO_TAKE_AGAIN = ("그거 좋네요, 그걸로 할게요", "추천해 주신 걸로요")
_EN_TAKE_STYLED = ("Sounds good, {style} style please", "OK, the {style} one")
_KO_TAKE_STYLED = ("좋아요, {style}로 주세요", "그걸로 {style} 스타일로 할게요")

FOLLOW_UP = {"en": _EN_FOLLOW_UP, "ko": _KO_FOLLOW_UP}
"""What the simulated customer says when the kiosk still asks something."""


class _Speaker:
    """Phrasings in one language, picked at random."""

    def __init__(self, language: str, rng: random.Random, spoken: bool) -> None:
        self.language = language
        self.rng = rng
        self.spoken = spoken

    def pick(self, english: tuple[str, ...], korean: tuple[str, ...], **values: str) -> str:
        template = self.rng.choice(english if self.language == "en" else korean)
        return template.format(**values)

    def menu(self, menu: Menu, quantity: int = 1) -> str:
        if self.language == "ko":
            return self.rng.choice((menu.name_ko, menu.name_ko.removesuffix(" 디너")))
        name = self.rng.choice((menu.name_en, menu.name_en.lower()))
        return f"{name}s" if quantity > 1 else name

    def style(self, style: Style) -> str:
        if self.language == "ko":
            return style.name_ko
        return self.rng.choice((style.name_en, style.name_en.lower()))

    def quantity(self, quantity: int, before_menu: bool) -> str:
        """How many, the way people say it (before a menu name in an order sentence)."""
        if self.language == "ko":
            forms = [
                f"{korean_native(quantity)} 개",
                f"{quantity}인분",
                f"{korean_native(quantity)} 세트",
            ]
            forms += [f"{korean_sino(quantity)} 인분", f"{quantity}개"]
            return self.rng.choice(forms)
        forms = [english_number(quantity)]
        if not self.spoken:
            forms.append(str(quantity))
        if quantity == 1:
            forms += ["a", "one"] if before_menu else ["just one", "only one"]
        if quantity == 2:
            forms.append("a couple of" if before_menu else "two")
        return self.rng.choice(forms)

    def ingredient(self, item: Ingredient) -> str:
        return item.name_ko if self.language == "ko" else item.name_en


@dataclass(slots=True)
class _Plan:
    """A drawn order, and how to say it."""

    say: _Speaker
    menu: Menu
    style: Style
    quantity: int
    change: tuple[Ingredient, int, str] | None = None

    def goal(self) -> Goal:
        custom = ((self.change[0].code, self.change[1]),) if self.change else ()
        return Goal(self.menu.code, self.style.code, self.quantity, custom)

    def one_shot(self) -> str:
        return self.say.pick(
            _EN_ONE_SHOT,
            _KO_ONE_SHOT,
            qty=self.say.quantity(self.quantity, before_menu=True),
            menu=self.say.menu(self.menu, self.quantity),
            style=self.say.style(self.style),
        )

    def step_by_step(self) -> list[str]:
        say = self.say
        return [
            say.pick(_EN_MENU, _KO_MENU, menu=say.menu(self.menu)),
            say.pick(_EN_STYLE, _KO_STYLE, style=say.style(self.style)),
            say.pick(_EN_QTY, _KO_QTY, qty=say.quantity(self.quantity, before_menu=False)),
        ]

    def change_line(self) -> list[str]:
        if self.change is None:
            return []
        item, _, how = self.change
        ing = self.say.ingredient(item)
        if how == "more":
            return [self.say.pick(_EN_MORE, _KO_MORE, ing=ing)]
        return [self.say.pick(_EN_NO, _KO_NO, ing=ing)]


def _draw(say: _Speaker, catalog: Catalog, menu: Menu | None = None, change: bool = False) -> _Plan:
    rng = say.rng
    menu = menu or rng.choice(catalog.menus)
    plan = _Plan(say, menu, rng.choice(menu.styles), rng.choice((1, 1, 2, 2, 3, 4, 5)))
    if change and menu.ingredients:
        item = rng.choice(menu.ingredients)
        how = rng.choice(("more", "no"))
        amount = min(item.quantity + 1, MAX_INGREDIENT_QUANTITY) if how == "more" else 0
        if amount != item.quantity:
            plan.change = (item, amount, how)
    return plan


def _greeting(say: _Speaker) -> list[str]:
    return [say.pick(_EN_GREETINGS, _KO_GREETINGS)] if say.rng.random() < 0.5 else []


def _one_shot(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    plan = _draw(say, catalog)
    return [*_greeting(say), plan.one_shot()], plan.goal()


def _multi_turn(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    plan = _draw(say, catalog, change=True)
    return [*_greeting(say), *plan.step_by_step(), *plan.change_line()], plan.goal()


def _correction(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    plan = _draw(say, catalog)
    lines = [*_greeting(say), plan.one_shot()]
    what = say.rng.choice(("quantity", "style", "menu"))
    if what == "quantity":
        plan.quantity = say.rng.choice([n for n in (1, 2, 3, 4, 6) if n != plan.quantity])
        qty = say.quantity(plan.quantity, before_menu=False)
        lines.append(say.pick(_EN_CORRECT_QTY, _KO_CORRECT_QTY, qty=qty))
    elif what == "style" and len(plan.menu.styles) > 1:
        plan.style = say.rng.choice([s for s in plan.menu.styles if s != plan.style])
        lines.append(say.pick(_EN_CORRECT_STYLE, _KO_CORRECT_STYLE, style=say.style(plan.style)))
    else:
        others = [m for m in catalog.menus if m != plan.menu and plan.style in m.styles]
        plan.menu = say.rng.choice(others)
        lines.append(say.pick(_EN_CORRECT_MENU, _KO_CORRECT_MENU, menu=say.menu(plan.menu)))
    return lines, plan.goal()


def _cancel(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    plan = _draw(say, catalog)
    start = [plan.one_shot()] if say.rng.random() < 0.5 else plan.step_by_step()[:2]
    return [*_greeting(say), *start, say.pick(_EN_CANCEL, _KO_CANCEL)], None


def _recommendation(
    say: _Speaker, catalog: Catalog, recommended: str
) -> tuple[list[str], Goal | None]:
    accept = say.rng.random() < 0.6
    menu = catalog.menu(recommended) if accept else None
    if menu is None:
        menu = say.rng.choice([m for m in catalog.menus if m.code != recommended])
    plan = _draw(say, catalog, menu=menu)
    lines = [*_greeting(say), say.pick(_EN_RECOMMEND, _KO_RECOMMEND)]
    if accept:
        lines.append(say.pick(_EN_ACCEPT, _KO_ACCEPT))
    else:
        lines.append(say.pick(_EN_INSTEAD, _KO_INSTEAD, menu=say.menu(menu)))
    return [*lines, *plan.step_by_step()[1:]], plan.goal()


def _out_of_range(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    narrow = [m for m in catalog.menus if len(m.styles) < len(catalog.all_styles())]
    if narrow and say.rng.random() < 0.4:
        plan = _draw(say, catalog, menu=say.rng.choice(narrow))
        refused = next(s for s in catalog.all_styles() if s not in plan.menu.styles)
        first = say.pick(
            _EN_STYLE_REFUSED,
            _KO_STYLE_REFUSED,
            qty=say.quantity(plan.quantity, before_menu=True),
            menu=say.menu(plan.menu, plan.quantity),
            style=say.style(refused),
        )
        then = say.pick(_EN_THEN_STYLE, _KO_THEN_STYLE, style=say.style(plan.style))
        return [*_greeting(say), first, then], plan.goal()
    plan = _draw(say, catalog)
    big = say.rng.choice(("42", "30", "25", "100")) if not say.spoken else "forty two"
    first = say.pick(
        _EN_TOO_MANY,
        _KO_TOO_MANY,
        big=big,
        menu=say.menu(plan.menu, 2),
        style=say.style(plan.style),
    )
    qty = say.quantity(plan.quantity, before_menu=False)
    return [
        *_greeting(say),
        first,
        say.pick(_EN_AFTER_RANGE, _KO_AFTER_RANGE, qty=qty),
    ], plan.goal()


def _number_phrase(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    plan = _draw(say, catalog)
    english = say.language == "en"
    draw = say.rng.random()
    if draw < 0.4:
        exact = _EN_EXACT if english else _KO_EXACT
        phrase = say.rng.choice(list(exact))
        plan.quantity = exact[phrase]
    else:
        vague = (_EN_VAGUE if english else _KO_VAGUE) if draw < 0.7 else ()
        phrase = say.rng.choice(vague or (_EN_OVER if english else _KO_OVER))
    templates = _EN_PHRASE_ORDER
    if english and draw >= 0.85:
        templates, phrase = _EN_AFTER_NAME, say.quantity(plan.quantity, before_menu=False)
    line = say.pick(
        templates,
        _KO_PHRASE_ORDER,
        phrase=phrase,
        menu=say.menu(plan.menu, 2),
        style=say.style(plan.style),
    )
    return [*_greeting(say), line], plan.goal()


def _customization(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    menu = say.rng.choice([m for m in catalog.menus if len(m.ingredients) > 1])
    plan = _draw(say, catalog, menu=menu)
    more, less = say.rng.sample(menu.ingredients, 2)
    extra = min(more.quantity + 1, MAX_INGREDIENT_QUANTITY)
    line = say.pick(
        _EN_TWO_CHANGES, _KO_TWO_CHANGES, more=say.ingredient(more), less=say.ingredient(less)
    )
    changes = tuple(sorted({more.code: extra, less.code: 0}.items()))
    goal = Goal(menu.code, plan.style.code, plan.quantity, changes)
    return [*_greeting(say), plan.one_shot(), line], goal


def wished_menus(catalog: Catalog) -> dict[str, tuple[Menu, int]]:
    """The menu a person means for each wish this catalog can answer (with the budget
    said, for ``budget``): the Valentine dinner for a romantic evening, the first dinner
    without wine or champagne for no alcohol, the only one within the budget, the one
    for two, the feast for a celebration."""
    menus = catalog.menus
    found: dict[str, tuple[Menu, int]] = {}
    for wish, menu in (
        ("romantic", next((m for m in menus if "valentine" in m.name_en.lower()), None)),
        ("celebration", next((m for m in menus if "feast" in m.name_en.lower()), None)),
        (
            "for_two",
            next((m for m in menus if m.description_en.lower().startswith("for two")), None),
        ),
        (
            "no_alcohol",
            next(
                (m for m in menus if not {"wine", "champagne"} & {i.code for i in m.ingredients}),
                None,
            ),
        ),
    ):
        if menu is not None:
            found[wish] = (menu, 0)
    cheapest = sorted(menus, key=lambda m: m.price)
    if len(cheapest) > 1 and cheapest[1].price - cheapest[0].price >= 2000:
        budget = (cheapest[0].price + (cheapest[1].price - cheapest[0].price) // 2) // 1000
        found["budget"] = (cheapest[0], budget * 1000)
    return found


def _recommendation_context(
    say: _Speaker, catalog: Catalog, _: str
) -> tuple[list[str], Goal | None]:
    wishes = wished_menus(catalog)
    wish = say.rng.choice(sorted(wishes))
    menu, budget = wishes[wish]
    plan = _draw(say, catalog, menu=menu)
    asked = say.pick(_EN_WISHES[wish], _KO_WISHES[wish], budget=f"{budget:,}")
    lines = [*_greeting(say), asked, say.pick(_EN_TAKE, _KO_TAKE)]
    return [*lines, *plan.step_by_step()[1:]], plan.goal()


def _mixed_language(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    plan = _draw(say, catalog)
    line = say.pick(
        _EN_MIXED,
        _KO_MIXED,
        menu_en=plan.menu.name_en,
        # "French 디너": the English name with its Korean word for dinner.
        menu_mixed=plan.menu.name_en.replace(" Dinner", " 디너"),
        menu_ko=plan.menu.name_ko,
        qty=say.rng.choice((english_number(plan.quantity), str(plan.quantity))),
        qty_ko=f"{korean_native(plan.quantity)} 개",
        style=plan.style.name_en.lower(),
        style_ko=plan.style.name_ko,
    )
    return [*_greeting(say), line], plan.goal()


_HANGUL_BASE, _JUNG_E, _JUNG_AE = 0xAC00, 5, 1


def misspelled(name: str, rng: random.Random) -> str:
    """``name`` with a typo in its first word: two letters swapped, or in Korean the
    vowels 에 and 애 confused (프렌치, 프랜치), else a syllable dropped."""
    word, _, rest = name.partition(" ")
    if word.isascii():
        at = rng.randrange(1, len(word) - 2)
        typo = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    else:
        vowels = [i for i, c in enumerate(word) if (ord(c) - _HANGUL_BASE) // 28 % 21 in (1, 5)]
        if vowels:
            at = vowels[0]
            code = ord(word[at]) - _HANGUL_BASE
            swap = (_JUNG_AE - _JUNG_E) * (1 if code // 28 % 21 == _JUNG_E else -1)
            typo = word[:at] + chr(ord(word[at]) + 28 * swap) + word[at + 1 :]
        else:
            at = rng.randrange(1, len(word) - 1)
            typo = word[:at] + word[at + 1 :]
    return f"{typo} {rest}".strip()


def _typo(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    plan = _draw(say, catalog)
    name = say.menu(plan.menu, plan.quantity)
    line = say.pick(
        _EN_TYPO,
        _KO_TYPO,
        qty=say.quantity(plan.quantity, before_menu=True),
        menu=misspelled(name, say.rng),
        style=say.style(plan.style),
    )
    return [*_greeting(say), line], plan.goal()


def _correction_again(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    """A correction of how many, the style or the dinner, after the order is said in one
    sentence or step by step, naming what it replaces or not."""
    plan = _draw(say, catalog)
    first = [plan.one_shot()] if say.rng.random() < 0.5 else plan.step_by_step()
    what = say.rng.choice(("quantity", "style", "menu"))
    if what == "quantity":
        old = say.quantity(plan.quantity, before_menu=False)
        plan.quantity = say.rng.choice([n for n in (1, 2, 3, 4, 5) if n != plan.quantity])
        qty = say.quantity(plan.quantity, before_menu=False)
        line = say.pick(_EN_FIX_QTY, _KO_FIX_QTY, old=old, qty=qty)
    elif what == "style" and len(plan.menu.styles) > 1:
        old = say.style(plan.style)
        plan.style = say.rng.choice([s for s in plan.menu.styles if s != plan.style])
        line = say.pick(_EN_FIX_STYLE, _KO_FIX_STYLE, old=old, style=say.style(plan.style))
    else:
        old = say.menu(plan.menu)
        plan.menu = say.rng.choice(
            [m for m in catalog.menus if m != plan.menu and plan.style in m.styles]
        )
        line = say.pick(_EN_FIX_MENU, _KO_FIX_MENU, old=old, menu=say.menu(plan.menu))
    return [*_greeting(say), *first, line], plan.goal()


def _customization_again(say: _Speaker, catalog: Catalog, _: str) -> tuple[list[str], Goal | None]:
    """One change to an ingredient, said after the order in a line of its own."""
    plan = _draw(say, catalog, menu=say.rng.choice([m for m in catalog.menus if m.ingredients]))
    item = say.rng.choice(plan.menu.ingredients)
    more = item.quantity < MAX_INGREDIENT_QUANTITY and say.rng.random() < 0.5
    ing = say.ingredient(item)
    if more:
        line = say.pick(_EN_ONE_CHANGE_MORE, _KO_ONE_CHANGE_MORE, ing=ing)
    else:
        line = say.pick(_EN_ONE_CHANGE_NO, _KO_ONE_CHANGE_NO, ing=ing)
    plan.change = (item, item.quantity + 1 if more else 0, "more" if more else "no")
    first = [plan.one_shot()] if say.rng.random() < 0.6 else plan.step_by_step()
    return [*_greeting(say), *first, line], plan.goal()


def _recommendation_context_again(
    say: _Speaker, catalog: Catalog, _: str
) -> tuple[list[str], Goal | None]:
    """A wish in other words, the recommendation taken, the style said with it or not."""
    wishes = wished_menus(catalog)
    wish = say.rng.choice(sorted(wishes))
    menu, budget = wishes[wish]
    plan = _draw(say, catalog, menu=menu)
    asked = say.pick(_EN_WISHES_AGAIN[wish], _KO_WISHES_AGAIN[wish], budget=f"{budget:,}")
    if say.rng.random() < 0.5:
        taken = [say.pick(_EN_TAKE_STYLED, _KO_TAKE_STYLED, style=say.style(plan.style))]
        rest = plan.step_by_step()[2:]
    else:
        taken = [say.pick(_EN_TAKE_AGAIN, _KO_TAKE_AGAIN)]
        rest = plan.step_by_step()[1:]
    return [*_greeting(say), asked, *taken, *rest], plan.goal()


_Maker = Callable[[_Speaker, Catalog, str], tuple[list[str], Goal | None]]
_MAKERS: dict[str, _Maker] = {
    "one_shot": _one_shot,
    "multi_turn": _multi_turn,
    "correction": _correction,
    "cancel": _cancel,
    "recommendation": _recommendation,
    "out_of_range": _out_of_range,
    "number_phrase": _number_phrase,
    "customization": _customization,
    "recommendation_context": _recommendation_context,
    "mixed_language": _mixed_language,
    "typo": _typo,
}
MAKERS_AGAIN: dict[str, _Maker] = {
    "correction": _correction_again,
    "customization": _customization_again,
    "recommendation_context": _recommendation_context_again,
}
"""The later conversations of these kinds (``again`` of each), from a generator of their
own: the conversations before them stay as they were."""


def _generate(
    catalog: Catalog,
    recommended: str,
    languages: tuple[str, ...],
    per_kind: int,
    spoken: bool,
    seed: str = "",
    again: int = 0,
) -> Iterator[Dialogue]:
    base = seed or f"dialogue-corpus-{'spoken' if spoken else 'typed'}"
    prefix = seed or ("spoken" if spoken else "typed")
    new_kinds = SPOKEN_KINDS[len(FIRST_KINDS) :] if spoken else NEW_KINDS
    # Each group of kinds draws from its own generator: adding kinds leaves the
    # conversations of the kinds before them as they were.
    for kinds, rng in ((FIRST_KINDS, random.Random(base)), (new_kinds, random.Random(f"{base}+"))):
        for language in languages:
            say = _Speaker(language, rng, spoken)
            for kind in kinds:
                for number in range(per_kind):
                    lines, goal = _MAKERS[kind](say, catalog, recommended)
                    asked = goal is not None and kind in NEW_KINDS
                    yield Dialogue(
                        name=f"{prefix}-{language}-{kind}-{number:02d}",
                        kind=kind,
                        language=language,
                        lines=tuple(lines),
                        goal=goal,
                        voice=rng.choice(VOICES) if spoken else "",
                        speed=rng.choice(SPEEDS) if spoken else 0,
                        how_many=say.quantity(goal.quantity, before_menu=False) if asked else "",
                    )
    rng = random.Random(f"{base}++")
    for language in languages if again else ():
        say = _Speaker(language, rng, spoken)
        for kind, make in MAKERS_AGAIN.items():
            for number in range(again):
                lines, goal = make(say, catalog, recommended)
                assert goal is not None
                yield Dialogue(
                    name=f"{prefix}-{language}-{kind}-again-{number:02d}",
                    kind=kind,
                    language=language,
                    lines=tuple(lines),
                    goal=goal,
                    voice=rng.choice(VOICES) if spoken else "",
                    speed=rng.choice(SPEEDS) if spoken else 0,
                    how_many=say.quantity(goal.quantity, before_menu=False),
                )


AGAIN = 12
"""The later conversations of each kind of ``MAKERS_AGAIN`` (and language)."""


def typed_corpus(
    catalog: Catalog, recommended: str, per_kind: int = 26, again: int = AGAIN
) -> list[Dialogue]:
    """Korean and English typed conversations (``per_kind`` of each kind and language,
    and ``again`` more of corrections, customizations and recommendations in context)."""
    return list(_generate(catalog, recommended, ("en", "ko"), per_kind, spoken=False, again=again))


def spoken_corpus(
    catalog: Catalog, recommended: str, per_kind: int = 24, again: int = AGAIN
) -> list[Dialogue]:
    """English conversations to be said by espeak-ng voices at varied speeds (and
    ``again`` more of corrections, customizations and recommendations in context)."""
    return list(_generate(catalog, recommended, ("en",), per_kind, spoken=True, again=again))


def tuning_corpus(catalog: Catalog, recommended: str, per_kind: int = 16) -> list[Dialogue]:
    """Spoken English conversations like :func:`spoken_corpus`'s, from another seed: none
    is in either half, so failures here may be printed and tuned on."""
    return list(_generate(catalog, recommended, ("en",), per_kind, spoken=True, seed="tuning-pool"))
