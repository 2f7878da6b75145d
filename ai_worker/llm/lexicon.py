"""Words the rules engine understands, in English and Korean.

Catalog names and codes are matched as they come; these tables only add the
synonyms and phrasings that a catalog does not carry.
"""

from __future__ import annotations

import re

from domain.number_words import (
    EN_DOZENS,
    EN_HUNDREDS,
    KO_DOZENS,
    KO_HUNDREDS,
    KO_NATIVE_NUMBERS,
    KO_SINO_NUMBERS,
)
from domain.number_words import EN_NUMBERS as EN_NUMBER_WORDS

MENU_SYNONYMS: dict[str, tuple[str, ...]] = {
    "valentine": ("valentine's", "valentines", "밸런타인", "발렌타인"),
    "french": ("france", "프랑스", "프랑스식", "프렌치"),
    "english": ("british", "영국", "영국식", "잉글리시", "잉글리쉬"),
    "champagne_feast": ("champagne feast", "champagne", "샴페인 축제", "샴페인"),
}
STYLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "simple": ("basic", "plain", "심플", "기본"),
    "grand": ("그랜드",),
    "deluxe": ("luxury", "delux", "디럭스", "디luxe", "럭셔리"),
}
INGREDIENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "steak": ("steaks", "스테이크"),
    "wine": ("wines", "red wine", "와인", "포도주"),
    "champagne": ("샴페인",),
    "salad": ("salads", "샐러드"),
    "bread": ("breads", "빵"),
    "baguette": ("baguettes", "baguette bread", "바게트빵", "바게트"),
    "coffee": ("coffees", "커피"),
    "eggs": ("egg", "scrambled eggs", "에그 스크램블", "계란", "달걀"),
    "bacon": ("베이컨",),
}

# Number words themselves are the domain's; these add what people say for a count.
EN_NUMBERS = EN_NUMBER_WORDS | {
    "a couple of": 2, "a couple": 2, "couple of": 2, "a pair of": 2, "a single": 1,
    "single": 1, "just one": 1, "only one": 1,
}  # fmt: skip
# What speech recognition writes for a number word. Right before a menu's name ("to
# French dinners", "free Valentine dinners") it is asked how many, never taken; alone
# as the answer to how many ("I'll take free") it is that number.
EN_NUMBER_HOMOPHONES = {
    "won": 1, "to": 2, "too": 2, "free": 3, "tree": 3, "for": 4, "fore": 4, "ate": 8,
}  # fmt: skip
KO_COUNTERS = r"(?:개|인분|세트|명|분|그릇|접시|잔|병|조각|장|set)"
# Sino-Korean numerals count servings ("삼 인분"); "이 세트" is "this set", not two.
KO_SINO_COUNTERS = r"(?:인분)"

_EN_NUM = "|".join(sorted(map(re.escape, EN_NUMBERS), key=len, reverse=True))
_KO_NUM = "|".join(sorted(KO_NATIVE_NUMBERS, key=len, reverse=True))
_KO_SINO = "|".join(sorted(KO_SINO_NUMBERS, key=len, reverse=True))
EN_NUMBER = rf"(?:\d{{1,3}}|{_EN_NUM})"
KO_NUMBER = rf"(?:\d{{1,3}}|{_KO_NUM})"
KO_SINO_NUMBER = rf"(?:{_KO_SINO})"


EN_COUNTS = EN_DOZENS | EN_HUNDREDS
KO_COUNTS = KO_DOZENS | KO_HUNDREDS
"""Counts said as a phrase (dozens, a hundred): read before any number word in them."""
_COUNTS = {phrase.replace(" ", ""): n for phrase, n in (EN_COUNTS | KO_COUNTS).items()}


def number_value(word: str) -> int:
    """The value of a matched numeral (digits, English or Korean words)."""
    word = " ".join(word.split())
    if word.isdigit():
        return int(word)
    return (
        _COUNTS.get(word.replace(" ", ""))
        or EN_NUMBERS.get(word)
        or EN_NUMBER_HOMOPHONES.get(word)
        or KO_NATIVE_NUMBERS.get(word)
        or KO_SINO_NUMBERS[word]
    )


# Phrase lists per intent; English is matched on word boundaries, Korean as a
# substring since particles attach to words.
CANCEL = (
    "cancel", "never mind", "nevermind", "forget it", "stop the order", "don't want to order",
    "취소", "그만할", "그만 할", "주문 안 할", "안 할래", "안할래",
)  # fmt: skip
BACK = ("go back", "back", "previous step", "undo", "뒤로", "이전 단계", "이전으로", "돌아가")
CHANGE_MENU = (
    "change the menu", "change menu", "change the dinner", "different menu", "different dinner",
    "another menu", "other menu", "메뉴 바꿀", "메뉴 바꿔", "메뉴를 바꿀", "메뉴를 바꿔",
    "다른 메뉴", "메뉴 변경", "메뉴를 변경",
)  # fmt: skip
CHANGE_STYLE = (
    "change the style", "change style", "different style", "another style", "other style",
    "스타일 바꿀", "스타일 바꿔", "스타일을 바꿀", "스타일을 바꿔", "다른 스타일", "스타일 변경",
    "스타일을 변경",
)  # fmt: skip
CONFIRM = (
    "yes", "yeah", "yep", "sure", "confirm", "correct", "that's right", "thats right",
    "place the order", "place my order", "place it", "order it", "sounds good", "go ahead",
    "ok", "okay", "perfect", "looks good", "i'll take it", "let's do that", "that one",
    "that's good", "thats good", "that is good", "that was good", "sounds great",
    "좋아요", "좋아", "좋습니다", "확인", "맞아요", "맞습니다", "맞아", "주문할게", "주문해",
    "주문 할게", "주문하겠", "그렇게 해", "그걸로", "그거로", "그거 주세요", "부탁",
)  # fmt: skip
CONFIRM_WORDS = ("네", "예", "응", "넹")
DONE = (
    "nothing", "that's all", "thats all", "that's it", "thats it", "no changes",
    "i'm good", "im good", "as is", "done", "nothing else", "fine", "that's everything",
    "없어요", "없습니다", "없어", "괜찮아요", "괜찮습니다", "됐어요", "됐습니다", "그대로",
    "이대로",
)  # fmt: skip
NO = ("no", "nope", "no thanks", "not really", "아니요", "아뇨", "아니에요", "아니")
GREETING = (
    "hi", "hello", "hey", "good evening", "good afternoon", "good morning",
    "안녕", "반가워", "반갑습니다", "처음",
)  # fmt: skip
RECOMMEND = (
    "recommend", "recommendation", "suggest", "suggestion", "what's good", "whats good",
    "popular", "what should i", "what should we get", "what should we have", "would you pick",
    "will you pick", "추천", "뭐가 좋", "뭐 먹을까", "먹을 만한", "먹을만한", "인기", "골라 줘",
    "골라줘",
)  # fmt: skip
USUAL = (
    "the usual", "my usual", "same as last time", "same again", "same as before",
    "last order", "늘 먹던", "평소", "지난번", "저번", "항상 먹던",
)  # fmt: skip
INQUIRY = (
    "menu", "what do you have", "options", "what's in", "whats in", "what is in",
    "how much", "price", "what comes with", "메뉴", "뭐가 있", "뭐 있", "얼마", "가격",
    "구성", "들어가", "뭐가 나와",
)  # fmt: skip
DETAIL_INQUIRY = (
    "what's in", "whats in", "what is in", "how much", "price", "what comes with",
    "얼마", "가격", "구성", "들어가", "뭐가 나와",
)  # fmt: skip

# Ingredient changes. English modifiers stand before the ingredient, Korean
# ones after it (with an optional particle).
EN_REMOVE = (
    "no", "without", "remove", "hold the", "skip the", "drop the", "minus", "take out the",
    "leave out the", "no more", "don't want", "dont want", "not", "remove the", "without the",
)  # fmt: skip
EN_LESS = ("less", "fewer", "a bit less", "a little less", "reduce the", "less of the")
EN_MORE = (
    "more", "extra", "additional", "another", "add", "plus", "add an extra", "add some",
    "add a", "add an", "some more", "an extra", "a little more",
)  # fmt: skip
EN_DOUBLE = ("double", "double the")
EN_UNITS = r"(?:glass(?:es)?|bottles?|cups?|pieces?|slices?|portions?|servings?)\s+of\s+(?:the\s+)?"
KO_PARTICLE = r"\s*(?:은|는|을|를|도|이|가|만)?\s*"
KO_MORE = r"(?:(?:좀|조금|약간)\s*)?(?:더|추가|많이|넉넉)"
"""More, with "좀" (a bit) or not: "스테이크 좀 더 넣어 주세요"."""
KO_LESS = r"(?:적게|덜|조금만|줄여|하나\s*빼|한\s*개\s*빼)"
KO_REMOVE = r"(?:빼|없이|제외|말고|안\s*넣|넣지\s*마|넣지\s*말|없는)"
KO_DOUBLE = r"(?:두\s*배)"

# The sentence around a name: never compared with menu or style names.
_COMMON_TEXT = """
the a an i i'd i'll i'm we we'd we'll me my us our you it it's that this these those
and or with without of in on at to for from some any please thanks thank dinner
dinners style styles order orders make like want would could can get have take give
need let's let just only actually instead then now also same again what which how many
much more less extra glass glasses bottle cup served serve set sets one ones course
kind of be is are was do does did will shall should okay ok yes no not sure please
right one portion 디너 스타일 주세요 주문 할게요 해요 해 주세요 로 으로 요 개 인분 세트
recommends recommended recommendations suggestions tonight today here there good something
anything
"""
COMMON_WORDS = tuple(_COMMON_TEXT.split())

# What a customer wants a recommendation to fit. The menus each occasion calls for
# and the ingredients each dislike rules out are the demo catalog's codes; a catalog
# without them is ranked by the other wishes.
OCCASIONS: dict[str, tuple[str, ...]] = {
    "romantic": (
        "romantic", "date", "anniversary", "girlfriend", "boyfriend", "my wife", "my husband",
        "propose", "proposal", "로맨틱", "데이트", "기념일", "여자친구", "남자친구", "애인",
        "연인", "프러포즈", "청혼", "분위기 있는",
    ),
    "celebration": (
        "celebrate", "celebrating", "celebration", "birthday", "party", "promotion",
        "special occasion", "축하", "생일", "파티", "승진", "특별한 날",
    ),
    "family": ("family", "kids", "children", "parents", "가족", "아이들", "부모님"),
}  # fmt: skip
OCCASION_MENUS: dict[str, tuple[str, ...]] = {
    "romantic": ("valentine",),
    "celebration": ("champagne_feast",),
    "family": ("champagne_feast",),
}
AVOIDS: dict[str, tuple[str, ...]] = {
    "alcohol": (
        "no alcohol", "without alcohol", "without any alcohol", "non alcoholic",
        "nothing alcoholic", "nothing with alcohol", "alcohol free", "don't drink",
        "dont drink", "do not drink", "not drinking", "술 없", "술 빼", "술은 빼", "술 못",
        "술을 못", "술 안", "술을 안", "무알콜", "논알콜",
    ),
    "meat": (
        "no meat", "without meat", "without any meat", "nothing with meat", "vegetarian",
        "don't eat meat", "dont eat meat",
        "고기 없", "고기 빼", "고기는 빼", "고기 못", "고기를 못", "고기 안", "채식",
    ),
}  # fmt: skip
AVOID_INGREDIENTS: dict[str, tuple[str, ...]] = {
    "alcohol": ("wine", "champagne"),
    "meat": ("steak", "bacon"),
}
MENU_SERVES: dict[str, int] = {"champagne_feast": 2}
"""How many people one dinner serves, where it is not one."""
ORDINALS: dict[str, int] = {
    "first": 0, "second": 1, "third": 2, "첫 번째": 0, "첫번째": 0, "두 번째": 1,
    "두번째": 1, "세 번째": 2, "세번째": 2,
}  # fmt: skip
"""Which of the dinners just offered: "the second one", "두 번째"."""
