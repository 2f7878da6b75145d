from __future__ import annotations

import pytest

from domain.number_words import (
    EN_DOZENS,
    EN_NUMBERS,
    EN_VAGUE,
    KO_DOZENS,
    KO_NATIVE_ALONE,
    KO_NATIVE_NUMBERS,
    KO_SINO_NUMBERS,
    KO_VAGUE,
    english_number,
    korean_native,
    korean_sino,
)

EVERY = range(1, 100)


@pytest.mark.parametrize(
    ("number", "english", "native", "sino"),
    [
        (1, "one", "한", "일"),
        (4, "four", "네", "사"),
        (10, "ten", "열", "십"),
        (13, "thirteen", "열세", "십삼"),
        (20, "twenty", "스무", "이십"),
        (21, "twenty-one", "스물한", "이십일"),
        (42, "forty-two", "마흔두", "사십이"),
        (99, "ninety-nine", "아흔아홉", "구십구"),
    ],
)
def test_numbers_as_words(number: int, english: str, native: str, sino: str) -> None:
    assert english_number(number) == english
    assert korean_native(number) == native
    assert korean_sino(number) == sino


def test_every_written_number_reads_back() -> None:
    for number in EVERY:
        assert EN_NUMBERS[english_number(number).replace("-", " ")] == number
        assert KO_NATIVE_NUMBERS[korean_native(number)] == number
        assert KO_SINO_NUMBERS[korean_sino(number)] == number


def test_other_forms_of_the_native_numbers() -> None:
    assert KO_NATIVE_NUMBERS["하나"] == 1
    assert KO_NATIVE_NUMBERS["석"] == 3
    assert KO_NATIVE_NUMBERS["스물"] == 20
    assert KO_NATIVE_NUMBERS["서른넷"] == 34


def test_the_short_forms_are_not_said_alone() -> None:
    assert {"하나", "둘", "스물셋", "열"} <= set(KO_NATIVE_ALONE)
    # 네 alone is "yes", 세 starts 세트.
    assert not {"한", "두", "세", "네"} & set(KO_NATIVE_ALONE)
    assert len(KO_NATIVE_ALONE) == len(set(KO_NATIVE_ALONE)) == 99


@pytest.mark.parametrize("number", [0, 100, -3])
def test_numbers_outside_1_to_99_have_no_words(number: int) -> None:
    for spell in (english_number, korean_native, korean_sino):
        with pytest.raises(ValueError, match="1 to 99"):
            spell(number)


def test_dozens_in_both_languages() -> None:
    assert (EN_DOZENS["a dozen"], EN_DOZENS["half a dozen"], EN_DOZENS["two dozen"]) == (12, 6, 24)
    assert (KO_DOZENS["한 다스"], KO_DOZENS["반 다스"], KO_DOZENS["두 다스"]) == (12, 6, 24)


def test_vague_counts_are_not_numbers() -> None:
    assert not set(EN_VAGUE) & set(EN_NUMBERS)
    assert "두어" in KO_VAGUE and "몇" in KO_VAGUE
