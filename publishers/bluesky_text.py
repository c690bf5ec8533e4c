"""Bluesky text: grapheme counting, rich-text facets with UTF-8 byte offsets, record keys.

A post's text may hold 300 graphemes and 3000 UTF-8 bytes. Links, mentions and hashtags are
not parsed by the network: the client sends them as facets whose ranges count bytes. A record
key chosen from our idempotency key makes a resend write the same record, never a second one.

Links follow Bluesky's rich-text rules (docs.bsky.app "Links, mentions, and rich text" and
@atproto/api's detection, read 2026-12-07): a link starts the text or follows a space or "(";
``http(s)://`` links and bare domains whose last label is a known TLD (``example.com``, linked
as ``https://example.com``); trailing ``.,;:!?`` is not part of the link, nor is a closing
parenthesis without its opening one (``(see https://example.com/a_(b))`` links ``/a_(b)``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import grapheme

from publishers.text import split_thread

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_TAG_GRAPHEMES = 64
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Keys derived from hashes carry a timestamp inside 2023-2024, so they never sort as future.
_TID_BASE_MICROS = 1_672_531_200_000_000
_TID_SPAN_BITS = 45

# After Bluesky's own client (@atproto/api rich-text detection).
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_MENTION = re.compile(
    rf"(?:^|(?<=[\s(]))@((?:{_LABEL}\.)+[a-zA-Z](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?)\b"
)
_LINK = re.compile(
    r"(?:^|(?<=[\s(]))(https?://\S+|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    re.IGNORECASE,
)
_LINK_END = re.compile(r"[.,;:!?]+$")
_TAG = re.compile(r"(?:^|(?<=\s))[#\uff03]([^\s#\uff03\u00ad\u200b-\u200d\u2060]+)")
_TRAILING_PUNCT = re.compile(r"[.,;:!?)\]'\"]+$")


def length(text: str) -> int:
    """Graphemes, as Bluesky counts the 300-character limit."""
    return int(grapheme.length(text))


def byte_length(text: str) -> int:
    """UTF-8 bytes, as Bluesky counts the 3000-byte limit."""
    return len(text.encode("utf-8"))


def thread_length(text: str) -> int:
    """A single measure for splitting: graphemes, or bytes scaled so 3000 bytes reads as 300."""
    return max(length(text), -(-byte_length(text) // (MAX_BYTES // MAX_GRAPHEMES)))


def split_posts(text: str) -> list[str]:
    """``text`` as reply-chain parts, each within both of Bluesky's limits."""
    return split_thread(text, MAX_GRAPHEMES, thread_length)


@dataclass(frozen=True)
class Span:
    """A facet candidate: UTF-8 byte range, kind ("link", "mention", "tag") and value."""

    start: int
    end: int
    kind: str
    value: str


def _bytes_at(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def known_tld(domain: str) -> bool:
    """Whether ``domain`` ends in a top-level domain IANA lists (twitter-text's tables)."""
    # Imported on the first link: importing twitter-text builds all its patterns (~0.3 s).
    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_gtld import valid_gtld

    tld = domain.rsplit(".", 1)[-1].lower()
    # The tables are alternations followed by a lookahead for the end of the domain.
    return any(table.fullmatch(tld) for table in (valid_gtld, valid_cctld))


def link_end(url: str) -> str:
    """``url`` without trailing punctuation and without closing parentheses it did not open."""
    while True:
        trimmed = _LINK_END.sub("", url)
        if trimmed.endswith(")") and trimmed.count(")") > trimmed.count("("):
            trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def detect(text: str) -> list[Span]:
    """Links, @handle mentions and #tags in ``text``, with byte offsets, in text order."""
    spans: list[Span] = []
    for m in _LINK.finditer(text):
        domain = m.group("domain")
        if domain and not known_tld(domain):
            continue
        shown = link_end(m.group(1))
        if not shown or (domain and "." not in shown):
            continue
        start = m.start(1)
        end = start + len(shown)
        uri = f"https://{shown}" if domain else shown
        spans.append(Span(_bytes_at(text, start), _bytes_at(text, end), "link", uri))
    for m in _MENTION.finditer(text):
        handle = m.group(1)
        start = m.start(1) - 1  # the facet covers the "@"
        end = m.end(1)
        spans.append(Span(_bytes_at(text, start), _bytes_at(text, end), "mention", handle.lower()))
    for m in _TAG.finditer(text):
        tag = _TRAILING_PUNCT.sub("", m.group(1))
        if not tag or tag.isdigit() or length(tag) > MAX_TAG_GRAPHEMES:
            continue
        start = m.start(1) - 1  # the facet covers the "#"
        end = m.start(1) + len(tag)
        spans.append(Span(_bytes_at(text, start), _bytes_at(text, end), "tag", tag))
    spans.sort(key=lambda s: s.start)
    # A link's path can hold "@" or "#": the link wins over what overlaps it.
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def facet(span: Span, did: str | None = None) -> dict[str, object] | None:
    """The ``app.bsky.richtext.facet`` for ``span``; mentions need the handle's DID."""
    index = {"byteStart": span.start, "byteEnd": span.end}
    if span.kind == "link":
        feature: dict[str, str] = {"$type": "app.bsky.richtext.facet#link", "uri": span.value}
    elif span.kind == "tag":
        feature = {"$type": "app.bsky.richtext.facet#tag", "tag": span.value}
    elif did:
        feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
    else:
        return None
    return {"index": index, "features": [feature]}


def tid(number: int) -> str:
    """A 64-bit number as a TID: 13 characters of sortable base32."""
    out = []
    for _ in range(13):
        out.append(TID_ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(out))


def record_key(idempotency_key: str, part: int = 0) -> str:
    """The TID record key for part ``part`` of the post with ``idempotency_key``."""
    digest = int.from_bytes(hashlib.sha256(f"{idempotency_key}:{part}".encode()).digest()[:8])
    micros = _TID_BASE_MICROS + (digest >> 10) % (1 << _TID_SPAN_BITS)
    clock_id = digest & 0x3FF
    return tid((micros << 10) | clock_id)
