"""Numbers from 1 to 99 as words, in English and in Korean (native and Sino-Korean),
and the phrases people count with ("a dozen", "한 다스", "a few", "두어 개").

The one table of number words: the rules engine reads counts with it, the
recognition prompt writes sample counts with it (:mod:`domain.speech_hints`),
and the dialogue corpus says quantities with it.
"""

from __future__ import annotations

_EN_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_EN_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
             "seventeen", "eighteen", "nineteen")  # fmt: skip
_EN_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

# Each native unit as said before a counter (한 개), alone (하나), then any
# other form (석 잔, 넉 장).
_KO_NATIVE_UNITS = (
    ("한", "하나"), ("두", "둘"), ("세", "셋", "석"), ("네", "넷", "넉"), ("다섯", "다섯"),
    ("여섯", "여섯"), ("일곱", "일곱"), ("여덟", "여덟"), ("아홉", "아홉"),
)  # fmt: skip
_KO_NATIVE_TENS = ("열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔")
_KO_TWENTY_BEFORE_COUNTER = "스무"
"""스무 개, but 스물한 개."""
_KO_SINO_UNITS = ("일", "이", "삼", "사", "오", "육", "칠", "팔", "구")
_KO_SINO_TEN = "십"


def _check(number: int) -> None:
    if not 1 <= number <= 99:
        raise ValueError(f"number words cover 1 to 99, not {number}")


def english_number(number: int) -> str:
    """``number`` written in English words: ``"seven"``, ``"forty-two"``."""
    _check(number)
    tens, unit = divmod(number, 10)
    if number < 10:
        return _EN_UNITS[unit - 1]
    if tens == 1:
        return _EN_TEENS[unit]
    word = _EN_TENS[tens - 2]
    return f"{word}-{_EN_UNITS[unit - 1]}" if unit else word


def korean_native(number: int) -> str:
    """``number`` in native Korean words as said before a counter: ``"두"``, ``"마흔두"``."""
    _check(number)
    tens, unit = divmod(number, 10)
    if number == 20:
        return _KO_TWENTY_BEFORE_COUNTER
    ten = _KO_NATIVE_TENS[tens - 1] if tens else ""
    return ten + (_KO_NATIVE_UNITS[unit - 1][0] if unit else "")


def korean_sino(number: int) -> str:
    """``number`` in Sino-Korean words: ``"삼"``, ``"사십이"``."""
    _check(number)
    tens, unit = divmod(number, 10)
    ten = "" if not tens else _KO_SINO_TEN if tens == 1 else _KO_SINO_UNITS[tens - 1] + "십"
    return ten + (_KO_SINO_UNITS[unit - 1] if unit else "")


def _english_numbers() -> dict[str, int]:
    # As a transcript reads once normalized: "forty two", no hyphen.
    return {english_number(n).replace("-", " "): n for n in range(1, 100)}


def _korean_native_numbers() -> dict[str, int]:
    units = {form: value for value, forms in enumerate(_KO_NATIVE_UNITS, 1) for form in forms}
    tens = {word: 10 * value for value, word in enumerate(_KO_NATIVE_TENS, 1)}
    return {
        **units,
        **tens,
        _KO_TWENTY_BEFORE_COUNTER: 20,
        **{ten + unit: tens[ten] + units[unit] for ten in tens for unit in units},
    }


def _korean_native_alone() -> tuple[str, ...]:
    alone = tuple(forms[1] for forms in _KO_NATIVE_UNITS)
    return (*alone, *_KO_NATIVE_TENS, *(ten + unit for ten in _KO_NATIVE_TENS for unit in alone))


def _korean_sino_numbers() -> dict[str, int]:
    units = {word: value for value, word in enumerate(_KO_SINO_UNITS, 1)}
    tens = {_KO_SINO_TEN: 10, **{word + _KO_SINO_TEN: 10 * value for word, value in units.items()}}
    return {
        **units,
        **tens,
        **{ten + unit: tens[ten] + units[unit] for ten in tens for unit in units},
    }


EN_NUMBERS: dict[str, int] = _english_numbers()
"""Every English number word or pair of words, 1 to 99, to its value."""
KO_NATIVE_NUMBERS: dict[str, int] = _korean_native_numbers()
"""Every form of the native Korean numbers, 1 to 99, to its value."""
KO_NATIVE_ALONE: tuple[str, ...] = _korean_native_alone()
"""The native numbers in the forms said without a counter (하나, 둘, 스물셋); the
short forms need one: 네 alone means "yes", and 세 starts 세트."""
KO_SINO_NUMBERS: dict[str, int] = _korean_sino_numbers()
"""Every Sino-Korean number, 1 to 99, to its value."""


DOZEN = 12
EN_DOZENS: dict[str, int] = {
    "a dozen": DOZEN,
    "half a dozen": DOZEN // 2,
    "half dozen": DOZEN // 2,
    "a half dozen": DOZEN // 2,
    **{f"{english_number(n)} dozen": n * DOZEN for n in range(1, 9)},
}
"""Dozens said in English, to their count."""
KO_DOZENS: dict[str, int] = {
    "반 다스": DOZEN // 2,
    **{f"{korean_native(n)} 다스": n * DOZEN for n in range(1, 9)},
}
"""Dozens said in Korean (다스), to their count."""
EN_HUNDREDS: dict[str, int] = {"a hundred": 100, "one hundred": 100}
KO_HUNDREDS: dict[str, int] = {"백 개": 100, "백 인분": 100, "백 세트": 100}
"""100 in words: more than a kiosk takes, to be refused as such and not read as 1."""
EN_VAGUE: tuple[str, ...] = (
    "a few", "few", "several", "some", "a bunch of", "a number of", "a couple or so",
    "a couple or three", "lots of", "a lot of", "many", "a handful of",
)  # fmt: skip
"""English phrases that say there are several, not how many."""
KO_VAGUE: tuple[str, ...] = ("두어", "두세", "서너", "너덧", "대여섯", "몇", "여러", "많이")
"""Korean words that say there are several, not how many (두어 개, 몇 개)."""
