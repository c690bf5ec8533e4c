"""Time phrases in other languages, rewritten into the English the rules read.

Each language is a table of rewrites (``Language``): number words become digits, dates are
put day first with English month names, and words become their English counterparts. What
the rewrite leaves unread is reported exactly as an English phrase would be. The language of
a message is guessed from its words (``detect``) unless the caller names it.
"""

from __future__ import annotations

import re
import unicodedata

from scheduler.reader.lang import de, es, fr, it, pt, ru
from scheduler.reader.lang.base import Language

LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (es.LANGUAGE, fr.LANGUAGE, de.LANGUAGE, pt.LANGUAGE, it.LANGUAGE, ru.LANGUAGE)
}
CODES = ("en", *LANGUAGES)
_WORD = re.compile(r"[^\W\d_]+")
# English words a request's head often has: a tie with another language stays English.
_ENGLISH = frozenset(
    {"tomorrow", "today", "tonight", "at", "to", "on", "next", "every", "in",
     "morning", "evening", "afternoon", "hours", "minutes", "week", "month", "monday",
     "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "now", "and"}
)  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents (ё and й kept apart from е and и only by Cyrillic rules)."""
    low = text.lower().replace("ё", "е").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFD", low)
    kept = (c for c in decomposed if not unicodedata.combining(c) or c == "\u0306")
    return unicodedata.normalize("NFC", "".join(kept))


def detect(text: str) -> str:
    """The language whose words the text uses most; English when none stands out."""
    words = _WORD.findall(fold(text))
    best, best_hits = "en", sum(w in _ENGLISH for w in words)
    for code, lang in LANGUAGES.items():
        hits = sum(w in lang.vocabulary for w in words)
        if hits > best_hits:
            best, best_hits = code, hits
    return best


def translate(phrase: str, code: str) -> str:
    """The phrase rewritten into English time words, for the English rules."""
    lang = LANGUAGES.get(code)
    return phrase if lang is None else lang.rewrite(fold(phrase))


__all__ = ["CODES", "LANGUAGES", "detect", "fold", "translate"]
