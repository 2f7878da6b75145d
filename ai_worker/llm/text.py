"""Finding phrases in an utterance, and marking the parts already understood."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_NOT_WORD = re.compile(r"[^a-z0-9가-힣' ]+")


def normalize(text: str) -> str:
    """Lower case, punctuation to spaces, one space between words."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(_NOT_WORD.sub(" ", text).split())


@lru_cache(maxsize=4096)
def phrase_regex(phrase: str) -> re.Pattern[str]:
    """English phrases match whole words (and a plural ``s``); Korean ones anywhere."""
    words = normalize(phrase).split()
    if phrase.isascii():
        body = r"\s+".join(map(re.escape, words))
        return re.compile(rf"(?<![a-z0-9']){body}(?:s|es)?(?![a-z0-9'])")
    return re.compile(r"\s*".join(map(re.escape, words)))


@dataclass(frozen=True, slots=True)
class Found:
    """A phrase found at ``start:end`` of the text, tagged with what it means."""

    tag: str
    start: int
    end: int


class Utterance:
    """Normalized text plus a mask: understood parts are blanked so later
    passes (a quantity, a "yes") do not read them again."""

    def __init__(self, transcript: str) -> None:
        self.text = normalize(transcript)
        self._mask = list(self.text)

    @property
    def rest(self) -> str:
        """The text not consumed yet (consumed characters are spaces)."""
        return "".join(self._mask)

    def consume(self, start: int, end: int) -> None:
        """Mark ``start:end`` as understood."""
        self._mask[start:end] = " " * (end - start)

    def find(self, phrases: Iterable[tuple[str, str]]) -> list[Found]:
        """Non-overlapping occurrences of ``(tag, phrase)`` pairs in the unconsumed
        text, longest phrase first, in text order."""
        rest = self.rest
        taken: list[Found] = []
        for tag, phrase in sorted(phrases, key=lambda item: len(item[1]), reverse=True):
            for match in phrase_regex(phrase).finditer(rest):
                if not any(f.start < match.end() and match.start() < f.end for f in taken):
                    taken.append(Found(tag, match.start(), match.end()))
        return sorted(taken, key=lambda f: f.start)

    def has(self, phrases: Iterable[str]) -> bool:
        """Whether any of ``phrases`` occurs in the unconsumed text."""
        rest = self.rest
        return any(phrase_regex(p).search(rest) for p in phrases)

    def take(self, phrases: Iterable[str]) -> bool:
        """Like :meth:`has`, consuming every occurrence."""
        found = self.find((p, p) for p in phrases)
        for item in found:
            self.consume(item.start, item.end)
        return bool(found)

    def take_pattern(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The first match of ``pattern`` in the unconsumed text, consumed."""
        match = pattern.search(self.rest)
        if match:
            self.consume(match.start(), match.end())
        return match
