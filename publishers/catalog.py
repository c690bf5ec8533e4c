"""Each network's names, text limit and counting, without importing its publisher.

The publishers carry the same figures as class attributes; ``tests/publishers/test_catalog``
holds the two together. This table exists so that reading a request (``outpost parse``, the
scheduler's first check) costs a table lookup, not every publisher's import (aiohttp and
twitter-text alone are about 0.5 s of CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import grapheme

from publishers import text, x_text


@dataclass(frozen=True)
class TextRule:
    """A network's text limit, how it counts, and a cheap bound on that count when one exists."""

    label: str
    max_length: int
    length: Callable[[str], int] = len
    # Never less than ``length``; checked first where ``length`` is costly to load or run.
    bound: Callable[[str], int] | None = None

    def excess(self, value: str) -> int | None:
        """The counted length when it is over the limit, else None."""
        if self.bound is not None and self.bound(value) <= self.max_length:
            return None
        size = self.length(value)
        return size if size > self.max_length else None


def _graphemes(value: str) -> int:
    return int(grapheme.length(value))


TEXT_RULES: dict[str, TextRule] = {
    "mastodon": TextRule("Mastodon", 500, text.mastodon_length),
    "linkedin": TextRule("LinkedIn", 3000),
    "facebook": TextRule("Facebook", 63_206),
    "instagram": TextRule("Instagram", 2200),
    "threads": TextRule("Threads", 500, text.threads_length),
    "webhook": TextRule("Webhook", 100_000),
    "x": TextRule("X", x_text.MAX_WEIGHTED_LENGTH, x_text.weighted_length, x_text.weight_bound),
    "bluesky": TextRule("Bluesky", 300, _graphemes),
    "discord": TextRule("Discord", 2000),
    "telegram": TextRule("Telegram", 4096, text.utf16_length),
    "slack": TextRule("Slack", 40_000),
}


# Names people type in chat, mapped to the canonical platform name.
ALIASES: dict[str, str] = {
    "twitter": "x",
    "tweet": "x",
    "toot": "mastodon",
    "masto": "mastodon",
    "fb": "facebook",
    "bsky": "bluesky",
    "ig": "instagram",
    "insta": "instagram",
    "li": "linkedin",
    "tg": "telegram",
    "hook": "webhook",
}


def canonical_platform(name: str) -> str:
    """The canonical platform name for ``name`` (case and aliases folded)."""
    key = name.strip().lower().lstrip("@#")
    return ALIASES.get(key, key)
