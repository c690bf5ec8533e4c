"""The lines after a chat request's text: alt text, per-network versions, a first comment,
and the ``---`` lines that split a text into a thread's parts.

::

    tomorrow 9am to x, linkedin: We're live: the full story on our blog
    x: We're live! https://example.com/blog
    linkedin: We're live. Here is what we built this year, and why…
    first comment: Questions? Ask below.
    alt: A bright room with six desks by a window

A line that starts with a network's name (as in ``to …``: ``x``, ``twitter``, ``li``…) and a
colon gives that network its own text; the lines after it that start no other such line belong
to it. ``first comment:`` is posted as the first reply or comment. ``alt:`` lines describe the
attached files (``scheduler.media.alt``). Only a block of such lines at the end of the request
counts, and never its first line (the request itself); an ``alt:`` line followed by text is
text, so "Note: …" or an unknown word before a colon always stays in the post.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from core.i18n import msg
from publishers.catalog import ALIASES, TEXT_RULES, canonical_platform
from scheduler.reader.grammar import ParsedRequest

ALT_LINE = re.compile(r"^\s*alt(?:\s*(?P<number>\d{1,3}))?\s*:(?P<text>.*)$", re.IGNORECASE)
# "first comment:" in each language the reader knows.
COMMENT_WORDS = (
    "first comment", "primer comentario", "premier commentaire", "erster kommentar",
    "primeiro comentário", "primeiro comentario", "primo commento", "первый комментарий",
)  # fmt: skip
COMMENT_LINE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(w) for w in COMMENT_WORDS) + r")\s*:(?P<text>.*)$",
    re.IGNORECASE,
)
VERSION_LINE = re.compile(r"^\s*(?P<name>[a-z]{1,20})\s*:(?!//)(?P<text>.*)$", re.IGNORECASE)
NETWORK_WORDS = frozenset(TEXT_RULES) | frozenset(ALIASES)
# A line holding only this splits a text into a thread's parts.
PART_MARKER = re.compile(r"^\s*-{3,}\s*$")


@dataclass(frozen=True)
class Trailing:
    """A request without its trailing lines, and what they said."""

    request: str
    alts: dict[int, str]
    variants: dict[str, str]
    first_comment: str | None
    problems: tuple[str, ...] = ()


def _kind(line: str) -> tuple[str, str, re.Match[str]] | None:
    """("alt" | "comment" | a platform, its text, the match) for a trailing line, else None."""
    found = ALT_LINE.match(line)
    if found:
        return "alt", found["text"], found
    found = COMMENT_LINE.match(line)
    if found:
        return "comment", found["text"], found
    found = VERSION_LINE.match(line)
    if found and found["name"].lower() in NETWORK_WORDS:
        return canonical_platform(found["name"]), found["text"], found
    return None


def _block_start(lines: list[str]) -> int:
    """Where the trailing block begins (``len(lines)`` when there is none); one pass."""
    start: int | None = None
    last = ""
    for i in range(1, len(lines)):
        kind = _kind(lines[i])
        if kind is not None:
            start = i if start is None else start
            last = kind[0]
        elif lines[i].strip() and (start is None or last == "alt"):
            start = None  # text after an alt line (or before any block) is the post's
    return len(lines) if start is None else start


def split_trailing(request: str) -> Trailing:
    """Take the trailing ``alt:``, ``first comment:`` and ``<network>:`` lines off ``request``."""
    lines = request.split("\n")
    start = _block_start(lines)
    alts: dict[int, str] = {}
    texts: dict[str, list[str]] = {}
    problems: list[str] = []
    number, current = 0, ""
    for line in lines[start:]:
        kind = _kind(line)
        if kind is None:
            if current:
                texts[current].append(line)
            continue
        name, text, found = kind
        current = ""
        if name == "alt":
            number = int(found["number"]) if found["number"] else number + 1
            if number < 1:
                problems.append("Files are counted from 1: write `alt 1:` for the first.")
            elif number in alts:
                problems.append(f"File {number} has two descriptions (alt lines); keep one.")
            else:
                alts[number] = " ".join(text.split())
            continue
        if name in texts:
            label = msg("first comment") if name == "comment" else _label(name)
            problems.append(msg("There are two lines for {what}; keep one.", what=label))
            continue
        texts[name], current = [text], name
    comment = "\n".join(texts.pop("comment", [])).strip() or None
    variants = {name: "\n".join(kept).strip() for name, kept in texts.items()}
    for name, text in variants.items():
        if not text:
            problems.append(msg(
                "The line for {network} has no text: write its version after the colon, or "
                "remove the line.", network=_label(name),
            ))  # fmt: skip
    return Trailing(
        "\n".join(lines[:start]).rstrip(),
        alts,
        {k: v for k, v in variants.items() if v},
        comment,
        tuple(problems),
    )


def _label(platform: str) -> str:
    rule = TEXT_RULES.get(platform)
    return rule.label if rule else platform


def split_parts(text: str) -> tuple[str, ...]:
    """A text's thread parts, split at lines of ``---``; () when there is no such line."""
    chunks: list[list[str]] = [[]]
    for line in text.split("\n"):
        if PART_MARKER.match(line):
            chunks.append([])
        else:
            chunks[-1].append(line)
    if len(chunks) == 1:
        return ()
    return tuple(p for c in chunks if (p := "\n".join(c).strip()))


def with_parts(parsed: ParsedRequest, extra: Sequence[str] | None = None) -> ParsedRequest:
    """``parsed`` with its text split at ``---`` lines, then ``extra`` parts (a chat thread's
    messages, in order); ``extra`` given makes it a thread even of one part."""
    parts = split_parts(parsed.text)
    if extra is None and not parts:
        return parsed
    if extra is not None:
        first = parts or ((parsed.text.strip(),) if parsed.text.strip() else ())
        parts = (*first, *(p.strip() for p in extra if p.strip()))
    problems = parsed.problems
    if not parts:
        problems = (*problems, msg("The thread has no parts yet: write each part as a reply."))
    return replace(parsed, parts=parts, text="\n\n".join(parts), problems=problems)


def read_with_lines(
    request: str, *, read: Callable[[str], ParsedRequest], extra: Sequence[str] | None = None
) -> tuple[ParsedRequest, dict[int, str]]:
    """``request`` read by ``read`` without its trailing lines, which give its versions, first
    comment and ``---`` parts (then ``extra`` parts); and the alt texts by file number."""
    found = split_trailing(request)
    parsed = read(found.request)
    parsed = replace(
        parsed,
        problems=(*parsed.problems, *found.problems),
        variants=found.variants,
        first_comment=found.first_comment,
    )
    return with_parts(parsed, extra), found.alts
