"""One default language, and which language a customer's words are in."""

from __future__ import annotations

import pytest

from domain.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    conversation_language,
    supported,
    text_language,
)


def test_the_default_is_one_of_the_languages_spoken() -> None:
    assert DEFAULT_LANGUAGE in LANGUAGES


@pytest.mark.parametrize(
    ("text", "so_far", "language"),
    [
        ("두 개요", None, "ko"),
        ("두 개요", "en", "ko"),
        ("two please", "ko", "en"),
        ("42", "ko", "ko"),
        ("42", "en", "en"),
        ("42", None, DEFAULT_LANGUAGE),
        ("?", "fr", DEFAULT_LANGUAGE),
    ],
)
def test_text_language(text: str, so_far: str | None, language: str) -> None:
    assert text_language(text, so_far) == language


@pytest.mark.parametrize(
    ("tag", "language"),
    [("ko", "ko"), ("ko-KR", "ko"), ("EN-us", "en"), ("en", "en"), (None, DEFAULT_LANGUAGE)],
)
def test_supported(tag: str | None, language: str) -> None:
    assert supported(tag) == language


def test_an_unsupported_language_is_the_default() -> None:
    assert supported("ja") == DEFAULT_LANGUAGE


@pytest.mark.parametrize(
    ("lines", "language"),
    [
        (["French 디너 two please, simple style"], "en"),
        (["프렌치 디너 두 개 그랜드로 주세요", "ok"], "ko"),
        (["Hello", "French dinner please", "네"], "en"),
        (["네"], "ko"),
        (["42"], "en"),
    ],
)
def test_a_conversation_is_in_the_language_of_most_of_its_words(
    lines: list[str], language: str
) -> None:
    assert conversation_language(lines, "en") == language
