"""One default language, and which language a customer's words are in."""

from __future__ import annotations

import pytest

from domain.language import DEFAULT_LANGUAGE, LANGUAGES, supported, text_language


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
