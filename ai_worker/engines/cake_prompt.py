"""Reading a cake description (English or Korean) into what to draw."""

from __future__ import annotations

import re
from dataclasses import dataclass

Colour = tuple[int, int, int]

COLOURS: dict[str, Colour] = {
    "pink": (244, 154, 193), "분홍": (244, 154, 193), "핑크": (244, 154, 193),
    "white": (250, 248, 240), "흰": (250, 248, 240), "하얀": (250, 248, 240),
    "화이트": (250, 248, 240),
    "red": (214, 40, 57), "빨간": (214, 40, 57), "빨강": (214, 40, 57),
    "blue": (70, 130, 220), "파란": (70, 130, 220), "파랑": (70, 130, 220),
    "sky blue": (135, 200, 235), "하늘색": (135, 200, 235),
    "green": (90, 170, 90), "초록": (90, 170, 90), "녹색": (90, 170, 90),
    "mint": (152, 230, 200), "민트": (152, 230, 200),
    "yellow": (250, 215, 80), "노란": (250, 215, 80), "노랑": (250, 215, 80),
    "orange": (245, 150, 60), "주황": (245, 150, 60),
    "purple": (150, 90, 190), "보라": (150, 90, 190),
    "lavender": (190, 160, 225), "라벤더": (190, 160, 225),
    "black": (40, 40, 45), "검은": (40, 40, 45), "검정": (40, 40, 45),
    "gold": (212, 175, 55), "금색": (212, 175, 55), "골드": (212, 175, 55),
    "brown": (120, 72, 40), "갈색": (120, 72, 40),
}  # fmt: skip
CHOCOLATE_BROWN: Colour = (110, 62, 35)
CREAM: Colour = (252, 244, 226)

TOPPINGS: dict[str, tuple[str, ...]] = {
    "strawberries": ("strawberr", "딸기"),
    "chocolate": ("chocolate", "초콜릿", "초코"),
    "blueberries": ("blueberr", "블루베리"),
    "cherries": ("cherr", "체리"),
    "candles": ("candle", "초를", "초 ", "캔들", "생일"),
    "sprinkles": ("sprinkle", "스프링클"),
    "flowers": ("flower", "rose", "꽃", "장미"),
    "hearts": ("heart", "하트", "valentine", "발렌타인"),
    "stars": ("star", "별"),
}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "한": 1, "두": 2, "세": 3, "네": 4}
_LAYERS = re.compile(
    r"(\d|one|two|three|four)[\s-]*(?:tiers?|layers?|stor(?:y|ies)|tiered|layered)"
    r"|(\d|한|두|세|네)\s*(?:단|층)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“「『']([^\"”」』']{1,60})[\"”」』']")
_SAYING = re.compile(r"(?:saying|that says|which says|reading|with the words?)\s+(.{1,60})$", re.I)
_KO_WRITE = re.compile(r"^(?:위에|에는|에|는)?\s*(\S.{0,40}?)\s*(?:이?라고)\s*(?:써|적|쓰)")


@dataclass(frozen=True, slots=True)
class CakeSpec:
    """What the sketch engine draws."""

    frosting: Colour
    accent: Colour
    layers: int
    toppings: frozenset[str]
    message: str | None


def read_prompt(prompt: str) -> CakeSpec:
    """The cake ``prompt`` describes; anything it leaves open gets a default."""
    text = prompt.lower()
    message = _message(prompt)
    described = text.replace(message.lower(), " ") if message else text
    colours = _colours(described)
    toppings = frozenset(
        name for name, words in TOPPINGS.items() if any(word in described for word in words)
    )
    if colours:
        frosting = colours[0]
    elif "chocolate" in toppings:
        frosting = CHOCOLATE_BROWN
    else:
        frosting = CREAM
    accent = colours[1] if len(colours) > 1 else _contrast(frosting)
    return CakeSpec(frosting, accent, _layers(described), toppings, message)


def _message(prompt: str) -> str | None:
    # Unquoted Korean text to write follows the word 케이크: "케이크에 축하해라고 써 줘".
    after_cake = prompt.rsplit("케이크", 1)[-1].strip()
    for pattern, text in ((_QUOTED, prompt), (_SAYING, prompt), (_KO_WRITE, after_cake)):
        match = pattern.search(text.strip())
        if match:
            return match.group(1).strip(" .!,") or None
    return None


def _colours(text: str) -> list[Colour]:
    found: list[tuple[int, Colour]] = []
    for word in sorted(COLOURS, key=len, reverse=True):
        start = text.find(word)
        if start >= 0 and not any(start == s for s, _ in found):
            found.append((start, COLOURS[word]))
            text = text.replace(word, " " * len(word))
    unique: list[Colour] = []
    for _, colour in sorted(found):
        if colour not in unique:
            unique.append(colour)
    return unique


def _layers(text: str) -> int:
    match = _LAYERS.search(text)
    if not match:
        return 2
    word = match.group(1) or match.group(2)
    value = int(word) if word.isdigit() else _NUMBERS[word]
    return min(max(value, 1), 4)


def _contrast(colour: Colour) -> Colour:
    return (214, 40, 57) if sum(colour) > 600 else (250, 248, 240)
