"""Counting and splitting post text as the networks do: pure functions, cheap to import.

They live apart from the publishers so that checking a length (``outpost parse``, the scheduler)
does not import every publisher and its HTTP client; the publishers import them from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import grapheme

URL_LENGTH = 23
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)'\]]")
# @user@domain counts as @user; the negative lookbehind skips e-mail addresses and paths.
_MENTION = re.compile(r"(?<![\w/=@])@(\w+)@[\w.-]+\w", re.ASCII)
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")


def mastodon_length(text: str) -> int:
    """Length as Mastodon counts it: URLs are 23, remote mentions count their username."""
    countable = _URL.sub("x" * URL_LENGTH, text)
    countable = _MENTION.sub(lambda m: "@" + m.group(1), countable)
    return int(grapheme.length(countable))


def _last_fitting(text: str, cuts: list[int], budget: int, length: Callable[[str], int]) -> int:
    """Index in ``cuts`` of the longest prefix within ``budget``, or -1 (binary search)."""
    low, high = 0, len(cuts) - 1
    best = -1
    while low <= high:
        mid = (low + high) // 2
        if length(text[: cuts[mid]]) <= budget:
            best, low = mid, mid + 1
        else:
            high = mid - 1
    # Length is only nearly monotonic (a URL's trailing dot), so confirm the pick.
    while best >= 0 and length(text[: cuts[best]]) > budget:
        best -= 1
    return best


def _cut(text: str, budget: int, length: Callable[[str], int]) -> int:
    """Where to end the next part: a sentence end, else a space, else a hard cut."""
    spaces = [m.start() for m in re.finditer(r"\s+", text) if m.start() > 0]
    best = _last_fitting(text, spaces, budget, length)
    if best >= 0:
        fitting = spaces[: best + 1]
        sentences = [p for p in fitting if _SENTENCE_END.search(text[max(0, p - 4) : p])]
        # A sentence end is preferred unless it would leave the part less than half full.
        if sentences and sentences[-1] * 2 >= fitting[-1]:
            return sentences[-1]
        return fitting[-1]
    chars = list(range(1, len(text) + 1))
    return max(1, _last_fitting(text, chars, budget, length) + 1)


def _greedy(text: str, budget: int, length: Callable[[str], int]) -> list[str]:
    parts: list[str] = []
    rest = text.strip()
    while length(rest) > budget:
        at = _cut(rest, budget, length)
        parts.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def split_thread(
    text: str, limit: int, length: Callable[[str], int] = mastodon_length
) -> list[str]:
    """Split ``text`` into parts of at most ``limit``, with " (i/n)" counters when they fit."""
    if length(text) <= limit:
        return [text]
    parts = _greedy(text, limit, length)
    for _ in range(4):
        reserve = len(f" ({len(parts)}/{len(parts)})")
        # Counters are a nicety: never let them squeeze the text below half the limit.
        if reserve * 2 > limit:
            return parts
        numbered = _greedy(text, limit - reserve, length)
        if len(f" ({len(numbered)}/{len(numbered)})") <= reserve:
            n = len(numbered)
            return [f"{part} ({i}/{n})" for i, part in enumerate(numbered, 1)]
        parts = numbered
    return _greedy(text, limit, length)


# Code points Unicode draws as emoji, and the joiners and modifiers that build sequences of them.
_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),  # pictographs, emoticons, flags' regional indicators, skin tones
    (0x2300, 0x23FF),  # watch, hourglass, keyboard ...
    (0x2600, 0x27BF),  # miscellaneous symbols and dingbats
    (0x2B00, 0x2BFF),  # stars, arrows
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0x200D, 0x200D),  # zero-width joiner
    (0x20E3, 0x20E3),  # combining keycap
    (0xE0020, 0xE007F),  # tag characters (subdivision flags)
)


def _is_emoji(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _EMOJI_RANGES)


def threads_length(text: str) -> int:
    """Characters as Threads counts them: one each, but an emoji's UTF-8 bytes."""
    return sum(len(ch.encode("utf-8")) if _is_emoji(ch) else 1 for ch in text)


def utf16_length(text: str) -> int:
    """Telegram counts text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
