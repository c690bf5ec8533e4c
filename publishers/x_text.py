"""X's weighted text length, as twitter-text defines it, and splitting long text into a thread.

twitter-text v3: code points in the Latin, general punctuation and similar ranges weigh 1,
everything else (CJK, most symbols) weighs 2, an emoji sequence weighs 2 however many code points
it has, and every URL weighs 23. The text is NFC-normalised first. A post is valid at weight 280
or less, with no invalid characters.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from publishers.text import split_thread

if TYPE_CHECKING:
    from twitter_text import ParsedResult

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
_URL = re.compile(r"https?://\S+")

# twitter-text config/v3.json (specs/x/twitter-text-config-v3.json), in the parser's key names.
V3_CONFIG: dict[str, Any] = {
    "version": 3,
    "max_weighted_tweet_length": MAX_WEIGHTED_LENGTH,
    "scale": 100,
    "default_weight": 200,
    "emoji_parsing_enabled": True,
    "transformed_url_length": URL_WEIGHT,
    "ranges": [
        {"start": 0, "end": 4351, "weight": 100},
        {"start": 8192, "end": 8205, "weight": 100},
        {"start": 8208, "end": 8223, "weight": 100},
        {"start": 8242, "end": 8247, "weight": 100},
    ],
}


def _parse(text: str, config: dict[str, Any] | None) -> ParsedResult:
    # twitter-text compiles its emoji and URL patterns when imported (about 0.3 s of CPU):
    # import it when a text is first weighed, not whenever a module names X.
    from twitter_text import parse_tweet

    return parse_tweet(text, config or V3_CONFIG)


def weighted_length(text: str, config: dict[str, Any] | None = None) -> int:
    """The weighted length X counts for ``text`` (twitter-text v3 unless ``config`` says else)."""
    return int(_parse(text, config).weightedLength)


def weight_bound(text: str) -> int:
    """A weight ``weighted_length`` never exceeds (v3), found without twitter-text.

    Every code point weighs at most 2 and a URL 23 whatever its length; twitter-text finds
    URLs only around a domain's ".", so there are no more URLs than dots. Line endings and
    emoji sequences only weigh less than this counts.
    """
    normal = unicodedata.normalize("NFC", text)
    return 2 * len(normal) + URL_WEIGHT * normal.count(".")


def is_valid(text: str, config: dict[str, Any] | None = None) -> bool:
    """Whether X accepts ``text`` as one post: within 280 weighted and no invalid characters."""
    return bool(_parse(text, config).valid)


def split_posts(text: str, limit: int = MAX_WEIGHTED_LENGTH) -> list[str]:
    """``text`` as thread parts, each within ``limit`` as X weighs it."""
    return split_thread(text, limit, weighted_length)


def comparable(text: str) -> str:
    """Text as X echoes it back, for matching: NFC, entities undone, URLs (t.co) masked."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    # X rewrites every URL to t.co and appends one per attached media at the end.
    masked = _URL.sub("\u2063", text).strip()
    return re.sub(r"[\s\u2063]+$", "", masked)


def has_link(text: str) -> bool:
    """Whether X reads a link in ``text`` (a URL or a bare domain), as its parser does."""
    from twitter_text import extract_urls

    return bool(extract_urls(text))
