"""Catalog names in a transcript, exactly or nearly: what recognition got almost right.

An exact name (or synonym) is taken. Otherwise a run of one to three words
that looks enough like a name is a *guess*: close (``SURE``) is taken, less
close (``MAYBE``) is asked back ("Did you mean the French Dinner?"), never
taken silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

SURE = 88.0
MAYBE = 74.0
_MAX_WORDS = 3
_WORD = re.compile(r"[a-z']+|[가-힣]+")


@dataclass(frozen=True, slots=True)
class Guess:
    """The name ``tag`` is probably what ``start:end`` of the text meant."""

    tag: str
    score: float
    start: int
    end: int

    @property
    def sure(self) -> bool:
        return self.score >= SURE


def _letters(text: str) -> str:
    """``text`` with each Hangul syllable as its letters (jamo): 프랜치 is one letter
    from 프렌치, not one syllable in three."""
    return text if text.isascii() else unicodedata.normalize("NFD", text)


def nearest(text: str, phrases: list[tuple[str, str]], common: frozenset[str]) -> Guess | None:
    """The best near match of a ``(tag, phrase)`` in ``text`` scoring at least ``MAYBE``.

    Runs of words that start or end with a ``common`` word ("please", "dinner")
    are not compared: they are the sentence around a name, not the name; but for
    a name that ends in that word ("custom cake", where cake is an ingredient).
    """
    words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
    best: Guess | None = None
    for first in range(len(words)):
        for last in range(first, min(first + _MAX_WORDS, len(words))):
            ending = words[last][0]
            if words[first][0] in common or (first == last and ending in common):
                continue
            start, end = words[first][1], words[last][2]
            run = text[start:end]
            for tag, phrase in phrases:
                if phrase.isascii() != run.isascii() or len(phrase) < 4:
                    continue
                said, name = run, phrase.lower()
                if ending in common:
                    # The word the name ends in is said exactly; the rest is compared.
                    if not name.endswith(f" {ending}"):
                        continue
                    said, name = run[: -len(ending)], name[: -len(ending)]
                score = fuzz.ratio(_letters(said.strip()), _letters(name.strip()))
                if score >= MAYBE and (best is None or score > best.score):
                    best = Guess(tag, score, start, end)
    return best
