"""The languages the service speaks, the one it uses when nothing says which, and which
one a customer's words are in.

:data:`DEFAULT_LANGUAGE` is the only place a default language is chosen: a
conversation before its first word, a recognition prompt for speech of no
stated language, the pages before a customer picks, the AI context's bare
``name``/``description`` all take it from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

Language = Literal["ko", "en"]
LANGUAGES: tuple[Language, ...] = ("ko", "en")
DEFAULT_LANGUAGE: Language = "ko"
"""Korean: the catalog is a Korean dinner service's, and its kiosk starts in Korean."""

_HANGUL = re.compile("[가-힣]")
_LATIN = re.compile("[A-Za-z]{2,}")


def supported(language: str | None) -> Language:
    """``language`` (``ko``, ``en-US``, ...) as one the service speaks; :data:`DEFAULT_LANGUAGE`
    for ``None`` or any other."""
    primary = (language or "").split("-", 1)[0].lower()
    return next((known for known in LANGUAGES if known == primary), DEFAULT_LANGUAGE)


def text_language(text: str, so_far: str | None = None) -> Language:
    """The language of a customer's ``text``: ``ko`` for Hangul, ``en`` for Latin words,
    else the conversation's language ``so_far`` (numbers, punctuation)."""
    if _HANGUL.search(text):
        return "ko"
    if _LATIN.search(text):
        return "en"
    return supported(so_far)


def conversation_language(lines: Iterable[str], so_far: str | None = None) -> Language:
    """The language of most of the words in a customer's ``lines`` (oldest first); a
    tie goes to the newest line's :func:`text_language`.

    A conversation keeps one language: a "yes" in a Korean conversation, or a Korean
    word in an English sentence ("French 디너 two please"), does not switch it.
    """
    words = {"ko": 0, "en": 0}
    latest = so_far
    for line in lines:
        for word in line.split():
            if _HANGUL.search(word):
                words["ko"] += 1
            elif _LATIN.search(word):
                words["en"] += 1
        latest = text_language(line, latest)
    if words["ko"] == words["en"]:
        return supported(latest)
    return "ko" if words["ko"] > words["en"] else "en"
