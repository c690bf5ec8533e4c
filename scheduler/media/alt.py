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

from collections.abc import Sequence
from dataclasses import dataclass, replace

from scheduler.reader.trailing import split_trailing
from storage.views import MediaView


@dataclass(frozen=True)
class Described:
    """A request without its alt lines, and the descriptions they gave by file number."""

    request: str
    alts: dict[int, str]
    problems: tuple[str, ...] = ()


def split_alts(request: str) -> Described:
    """Take the trailing ``alt:`` lines off ``request`` (``scheduler.reader.trailing``)."""
    found = split_trailing(request)
    return Described(found.request, found.alts, found.problems)


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
