"""What the rules engine says, in the language it was spoken to."""

from __future__ import annotations

import re

from ai_worker.llm.recommend import Recommendation
from bus.ai_messages import ActiveEvent
from domain.catalog import Catalog, Ingredient, Menu, Style
from domain.draft import OrderDraft
from domain.language import LANGUAGES, Language, supported

_TEXT: dict[Language, dict[str, str]] = {
    "en": {
        "welcome": "Good evening, welcome!",
        "ask_menu": "Which dinner would you like? We have {menus}.",
        "ask_style": "Which style would you like for the {menu}: {styles}?",
        "ask_custom": (
            "Would you like to change anything, for example more {sample_more} or no "
            "{sample_less}? If not, I'll read your order back."
        ),
        "ask_custom_again": "Anything else to change?",
        "ask_quantity": "How many {menu} would you like?",
        "ask_quantity_number": "How many {menu} would you like? Please say a number.",
        "did_you_mean": "Did you mean the {name}?",
        "did_you_mean_style": "Did you mean {name} style?",
        "quantity_range": "We can make 1 to {maximum} dinners in one order.",
        "quantity_vague": "I'd rather not guess the number.",
        "ingredient_range": "A dinner can have 0 to {maximum} {ingredient}.",
        "ask_confirm": "So that's {order}. Shall I place the order?",
        "confirmed": "Thank you! Your order of {order} is being placed.",
        "cancelled": "All right, I've cancelled this order. Tell me when you want to start again.",
        "completed": "Your order has been placed. Start a new conversation to order again.",
        "back": "Sure, let's go back.",
        "noted": "Got it: {changes}.",
        "change": "No problem, let's change that.",
        "not_understood": "Sorry, I didn't catch that.",
        "style_not_allowed": "The {menu} isn't served {style}; it comes {styles}.",
        "no_ingredient": "The {menu} doesn't come with {ingredient}.",
        "choose_menu_first": "Please choose a dinner first.",
        "ask_item": "What would you like done with the {ingredient}: more, less or none?",
        "rest_unread": "I didn't catch the rest: what else would you like to change?",
        "correction_unread": "What would you like to change it to?",
        "heard_right": "Did I hear that right: {changes}?",
        "ask_change_now": "Now, what would you like to change?",
        "left_as_it_was": "All right, I've left it as it was.",
        "wish_unread": (
            "Sorry, I didn't catch all of that. What should the dinner suit: an occasion, "
            "how many of you, a budget, or something to leave out?"
        ),
        "recommend": "I'd recommend the {menu} ({price} won): {reason}.",
        "recommend_accept": "Would you like it?",
        "recommend_also": "Or the {menus}.",
        "reason_occasion_romantic": "it suits a romantic evening",
        "reason_occasion_celebration": "it's made for a celebration",
        "reason_occasion_family": "it's made for sharing",
        "reason_people": "it serves {people}",
        "reason_budget": "it's within {budget} won",
        "reason_avoid": "it comes without {avoided}",
        "avoid_alcohol": "alcohol",
        "avoid_meat": "meat",
        "change_none": "no {name}",
        "change_extra": "extra {name}",
        "change_extras": "{extra} extra {name}",
        "change_less": "less {name} ({amount})",
        "change_same": "{name} as it comes",
        "reason_favorite": "it's the one you order most",
        "reason_event": "{event} ({discount}% off) is on now",
        "reason_default": "it's our chef's pick",
        "menu_line": "{menu} ({price} won)",
        "menu_detail": "The {menu} is {price} won: {description}. It comes with {ingredients}.",
        "menu_detail_plain": "The {menu} is {price} won. It comes with {ingredients}.",
        "style_list": "{styles}",
        "or": " or ",
        "and": " and ",
        "style_word": "{style} style",
        "dinners": "{quantity} {menu}",
        "with": "with {changes}",
        "quantity_unit": "",
    },
    "ko": {
        "welcome": "안녕하세요, 어서 오세요!",
        "ask_menu": "어떤 디너로 하시겠어요? {menus} 중에서 골라 주세요.",
        "ask_style": "{menu}(은)는 어떤 스타일로 하시겠어요? {styles} 중에서 골라 주세요.",
        "ask_custom": (
            "바꾸고 싶은 재료가 있으신가요? 예를 들어 {sample_more} 추가나 {sample_less} 빼기가 "
            "가능해요. 없으시면 주문 내용을 확인해 드릴게요."
        ),
        "ask_custom_again": "더 바꾸실 것이 있으신가요?",
        "ask_quantity": "{menu}(은)는 몇 개 드릴까요?",
        "ask_quantity_number": "{menu}(은)는 몇 개 드릴까요? 숫자로 말씀해 주세요.",
        "did_you_mean": "{name} 말씀이신가요?",
        "did_you_mean_style": "{name} 스타일 말씀이신가요?",
        "quantity_range": "한 번에 1개부터 {maximum}개까지 주문하실 수 있어요.",
        "quantity_vague": "정확한 개수를 말씀해 주세요.",
        "ingredient_range": (
            "{ingredient}(은)는 디너 하나에 0개부터 {maximum}개까지 넣을 수 있어요."
        ),
        "ask_confirm": "{order}, 이대로 주문할까요?",
        "confirmed": "감사합니다! {order} 주문을 넣고 있어요.",
        "cancelled": "네, 주문을 취소했어요. 언제든 다시 말씀해 주세요.",
        "completed": "주문이 이미 완료되었어요. 새로 주문하시려면 새 대화를 시작해 주세요.",
        "back": "네, 이전 단계로 돌아갈게요.",
        "noted": "알겠습니다: {changes}.",
        "change": "네, 바꿔 드릴게요.",
        "not_understood": "죄송해요, 잘 이해하지 못했어요.",
        "style_not_allowed": "{menu}(은)는 {style} 스타일이 없어요. {styles} 스타일로 준비돼요.",
        "no_ingredient": "{menu}에는 {ingredient}(이)가 들어가지 않아요.",
        "choose_menu_first": "먼저 디너를 골라 주세요.",
        "ask_item": "{ingredient}(은)는 추가할까요, 줄일까요, 뺄까요?",
        "rest_unread": "나머지는 잘 듣지 못했어요. 무엇을 더 바꿀까요?",
        "correction_unread": "무엇으로 바꿔 드릴까요?",
        "heard_right": "{changes}, 맞게 들었나요?",
        "ask_change_now": "이제 무엇을 바꿔 드릴까요?",
        "left_as_it_was": "네, 그대로 둘게요.",
        "wish_unread": (
            "죄송해요, 다 알아듣지 못했어요. 어떤 자리인지, 몇 분이 드시는지, 예산이나 빼고 싶은 "
            "것을 말씀해 주세요."
        ),
        "recommend": "{menu}(을)를 추천드려요({price}원). {reason}.",
        "recommend_accept": "이걸로 하시겠어요?",
        "recommend_also": "{menus}도 좋아요.",
        "reason_occasion_romantic": "로맨틱한 저녁에 잘 어울려요",
        "reason_occasion_celebration": "축하하는 자리에 잘 어울려요",
        "reason_occasion_family": "함께 나눠 먹기 좋아요",
        "reason_people": "{people}명이 드시기 좋아요",
        "reason_budget": "{budget}원 안에 들어와요",
        "reason_avoid": "{avoided} 없이 준비돼요",
        "avoid_alcohol": "술",
        "avoid_meat": "고기",
        "change_none": "{name} 빼고",
        "change_extra": "{name} 추가",
        "change_extras": "{name} {extra}개 추가",
        "change_less": "{name} {amount}개로 줄여서",
        "change_same": "{name} 그대로",
        "reason_favorite": "가장 자주 주문하신 메뉴예요",
        "reason_event": "지금 {event} 행사로 {discount}% 할인 중이에요",
        "reason_default": "셰프 추천 메뉴예요",
        "menu_line": "{menu}({price}원)",
        "menu_detail": "{menu}(은)는 {price}원이고, {description}. 구성: {ingredients}.",
        "menu_detail_plain": "{menu}(은)는 {price}원이에요. 구성: {ingredients}.",
        "style_list": "{styles}",
        "or": ", ",
        "and": ", ",
        "style_word": "{style} 스타일",
        "dinners": "{menu} {quantity}개",
        "with": "{changes}",
        "quantity_unit": "개",
    },
}


# A Korean particle depends on whether the word before it ends in a final
# consonant: 스테이크가 but 빵이, 디너는 but 샴페인은.
_PARTICLES = {"(은)는": ("은", "는"), "(이)가": ("이", "가"), "(을)를": ("을", "를")}
_PARTICLE = re.compile("|".join(map(re.escape, _PARTICLES)))


def _ends_in_consonant(text: str) -> bool:
    last = text[-1:]
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28 != 0
    return last in "0136789lmn"


def _attach_particles(text: str) -> str:
    def pick(match: re.Match[str]) -> str:
        with_consonant, with_vowel = _PARTICLES[match.group(0)]
        return with_consonant if _ends_in_consonant(text[: match.start()]) else with_vowel

    return _PARTICLE.sub(pick, text)


class Replies:
    """Sentences in one language, filled from the catalog."""

    def __init__(self, language: str, catalog: Catalog) -> None:
        self.language = supported(language)
        self.catalog = catalog
        self._text = _TEXT[self.language]

    def say(self, key: str, **values: object) -> str:
        """The sentence ``key`` with ``values`` filled in."""
        return _attach_particles(self._text[key].format(**values))

    def name(self, item: Menu | Style | Ingredient) -> str:
        """A menu's, style's or ingredient's name in this language."""
        return item.name_in(self.language)

    def description(self, menu: Menu) -> str:
        """The menu's description in this language; empty if it has none in it."""
        return menu.description_in(self.language)

    def listing(self, names: list[str], joiner: str = "and") -> str:
        """``a, b and c`` (or ``a, b, c`` in Korean)."""
        if len(names) < 2:
            return "".join(names)
        return ", ".join(names[:-1]) + self._text[joiner] + names[-1]

    @classmethod
    def every_language(cls, catalog: Catalog) -> list[Replies]:
        """The same sentences in each language the engine speaks."""
        return [cls(language, catalog) for language in LANGUAGES]

    def ask_item(self, item: Ingredient) -> str:
        """Asking what to do with an ingredient named with no change heard."""
        return self.say("ask_item", ingredient=self.name(item))

    def heard_right(self, changes: list[str]) -> str:
        """Asking whether changes were heard right: "Did I hear that right: no wine?"."""
        return self.say("heard_right", changes=", ".join(changes))

    def hearing_check(self, text: str) -> str | None:
        """The question :meth:`heard_right` ending ``text``, if it does."""
        before, after = self._text["heard_right"].split("{changes}")
        found = re.search(rf"(?:^|(?<=[.!?] )){re.escape(before)}[^.!?]+{re.escape(after)}$", text)
        return found.group(0) if found else None

    def did_you_mean(self, item: Menu | Style) -> str:
        """Asking back a name that was nearly heard."""
        key = "did_you_mean" if isinstance(item, Menu) else "did_you_mean_style"
        return self.say(key, name=self.name(item))

    def event_title(self, event: ActiveEvent) -> str:
        """A promotion's title in this language; empty if it has none in it."""
        return event.title_ko if self.language == "ko" else event.title_en

    def recommend(self, item: Recommendation) -> str:
        """Offering ``item``: "I'd recommend the French Dinner (48,000 won): ..."."""
        return self.say(
            "recommend",
            menu=self.name(item.menu),
            price=f"{item.menu.price:,}",
            reason=self.reason(item),
        )

    def reason(self, item: Recommendation) -> str:
        """Why ``item`` is recommended: the customer's wishes it fits, else its own why."""
        wishes = item.wishes
        reasons = {
            "occasion": lambda: self.say(f"reason_occasion_{wishes.occasion}"),
            "people": lambda: self.say("reason_people", people=wishes.people),
            "budget": lambda: self.say("reason_budget", budget=f"{wishes.budget:,}"),
            "avoid": lambda: self.say(
                "reason_avoid",
                avoided=self.listing([self.say(f"avoid_{a}") for a in sorted(wishes.avoid)]),
            ),
        }
        if item.fits:
            return self.listing([reasons[fit]() for fit in item.fits])
        if item.why == "event" and item.event is not None:
            return self.say(
                "reason_event",
                event=self.event_title(item.event),
                discount=item.event.discount_percent,
            )
        return self.say(f"reason_{item.why}")

    def recommend_also(self, others: list[Recommendation]) -> str:
        """The next dinners worth suggesting: "Or the English Dinner or the French Dinner."."""
        return self.say(
            "recommend_also", menus=self.listing([self.name(o.menu) for o in others], "or")
        )

    def ask_quantity(self, menu: Menu) -> str:
        """ "How many French Dinner would you like?": a number only. A change said to it
        is no answer (recognition made "only one" the sample change "More wine."), so
        the question offers none; changes are asked for, or said, once it is answered."""
        return self.say("ask_quantity", menu=self.name(menu))

    def ask_menu(self) -> str:
        lines = [
            self.say("menu_line", menu=self.name(menu), price=f"{menu.price:,}")
            for menu in self.catalog.menus
        ]
        return self.say("ask_menu", menus=self.listing(lines))

    def style_names(self, menu: Menu) -> str:
        return self.listing([self.name(style) for style in menu.styles], "or")

    def ask_style(self, menu: Menu) -> str:
        return self.say("ask_style", menu=self.name(menu), styles=self.style_names(menu))

    def ask_custom(self, menu: Menu, again: bool) -> str:
        if again or not menu.ingredients:
            return self.say("ask_custom_again")
        first, last = menu.ingredients[0], menu.ingredients[-1]
        return self.say("ask_custom", sample_more=self.name(first), sample_less=self.name(last))

    def order(self, draft: OrderDraft) -> str:
        """The draft in words: ``2 French Dinner, Grand style, with wine 2``."""
        menu = self.catalog.menu(draft.menu_code or "")
        parts = [self.say("dinners", quantity=draft.quantity, menu=self.name(menu))]
        style = menu.allowed_style(draft.style_code or "")
        if style is not None:
            parts.append(self.say("style_word", style=self.name(style)))
        changes = [self.change(menu, code, amount) for code, amount in draft.customizations.items()]
        if changes:
            parts.append(self.say("with", changes=", ".join(changes)))
        return ", ".join(parts)

    def change(self, menu: Menu, code: str, amount: int) -> str:
        """An ingredient's change as a person says it: "extra wine", "no steak"."""
        item = menu.ingredient(code)
        name, extra = self.name(item), amount - item.quantity
        if amount == 0:
            return self.say("change_none", name=name)
        if extra == 1:
            return self.say("change_extra", name=name)
        if extra > 1:
            return self.say("change_extras", name=name, extra=extra)
        if extra < 0:
            return self.say("change_less", name=name, amount=amount)
        return self.say("change_same", name=name)

    def describe(self, menu: Menu) -> str:
        ingredients = ", ".join(f"{self.name(i)} {i.quantity}" for i in menu.ingredients)
        description = self.description(menu)
        return self.say(
            "menu_detail" if description else "menu_detail_plain",
            menu=self.name(menu),
            price=f"{menu.price:,}",
            description=description,
            ingredients=ingredients,
        )
