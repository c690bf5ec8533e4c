"""Descriptions of attached files (alt text) written in a chat request.

After the post's text, one line per file, in the order the files were attached::

    tomorrow 9am to mastodon, bluesky: Our new office
    alt: A bright room with six desks by a window
    alt: The team on the roof terrace

``alt:`` describes the file after the one the previous line described (the first file to
start with); ``alt N:`` describes file N. Only a block of such lines at the end of the
request counts, and never its first line, so the post's own text is never read as one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from storage.views import MediaView

ALT_LINE = re.compile(r"^\s*alt(?:\s*(?P<number>\d{1,3}))?\s*:(?P<text>.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Described:
    """A request without its alt lines, and the descriptions they gave by file number."""

    request: str
    alts: dict[int, str]
    problems: tuple[str, ...] = ()


def split_alts(request: str) -> Described:
    """Take the trailing ``alt:`` lines off ``request``."""
    lines = request.split("\n")
    start = len(lines)
    while start > 1 and (ALT_LINE.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    while start < len(lines) and not lines[start].strip():
        start += 1  # blank lines before the block stay with the text
    alts: dict[int, str] = {}
    problems: list[str] = []
    number = 0
    for line in lines[start:]:
        found = ALT_LINE.match(line)
        if found is None:
            continue
        number = int(found["number"]) if found["number"] else number + 1
        if number < 1:
            problems.append("Files are counted from 1: write `alt 1:` for the first.")
        elif number in alts:
            problems.append(f"File {number} has two descriptions (alt lines); keep one.")
        else:
            alts[number] = " ".join(found["text"].split())
    return Described("\n".join(lines[:start]).rstrip(), alts, tuple(problems))


def attach_alts(
    media: Sequence[MediaView], alts: dict[int, str]
) -> tuple[tuple[MediaView, ...], list[str]]:
    """``media`` with the descriptions set, and what does not fit the files attached."""
    extra = sorted(n for n in alts if n > len(media))
    problems: list[str] = []
    if extra:
        attached = f"{len(media)} file" + ("" if len(media) == 1 else "s")
        problems.append(
            f"There is a description (alt line) for file {extra[0]}, but {attached} "
            f"{'is' if len(media) == 1 else 'are'} attached: attach that file too, or remove "
            "the extra `alt` line (one `alt:` line per file, in the order they are attached)."
        )
    described = tuple(
        replace(item, alt=alts[index]) if alts.get(index) else item
        for index, item in enumerate(media, start=1)
    )
    return described, problems
