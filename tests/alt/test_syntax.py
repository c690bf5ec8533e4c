"""The `alt:` lines of a chat request: which lines count, which file each describes, and the
help text that tells people."""

from __future__ import annotations

import uuid

import pytest

from bot.render import help_reply
from scheduler.media.alt import attach_alts, split_alts
from storage.views import MediaView


def files(count: int) -> list[MediaView]:
    return [
        MediaView(uuid.uuid4(), uuid.uuid4(), "", "", "image/png", "", 1, 1, 1, None, f"{n}.png")
        for n in range(count)
    ]


@pytest.mark.parametrize(
    ("request_text", "text", "alts"),
    [
        ("tomorrow 9am to mastodon: Hi\nalt: A cat", "tomorrow 9am to mastodon: Hi", {1: "A cat"}),
        (
            "tomorrow 9am to x: Hi\n\nAlt: one\n\nALT 3:  three  words \nalt: four",
            "tomorrow 9am to x: Hi",
            {1: "one", 3: "three words", 4: "four"},
        ),
        # Only a block at the end counts: an alt line followed by text is text.
        ("now to x: Hi\nalt: not this\nthe end", "now to x: Hi\nalt: not this\nthe end", {}),
        # The first line is always the request itself.
        ("alt: now to x: Hi", "alt: now to x: Hi", {}),
        ("now to x: Keys\nalternatively: no", "now to x: Keys\nalternatively: no", {}),
    ],
)
def test_trailing_alt_lines_are_split_off(
    request_text: str, text: str, alts: dict[int, str]
) -> None:
    found = split_alts(request_text)
    assert (found.request, found.alts, found.problems) == (text, alts, ())


def test_duplicate_and_zero_numbers_are_problems() -> None:
    assert split_alts("now to x: Hi\nalt: a\nalt 1: b").problems == (
        "File 1 has two descriptions (alt lines); keep one.",
    )
    assert split_alts("now to x: Hi\nalt 0: a").problems == (
        "Files are counted from 1: write `alt 1:` for the first.",
    )


def test_attach_sets_alts_in_order_and_refuses_extra_ones() -> None:
    media = files(2)
    described, problems = attach_alts(media, {2: "second"})
    assert [m.alt for m in described] == ["", "second"]
    assert problems == []
    _, problems = attach_alts(media, {1: "a", 3: "c"})
    assert problems == [
        "There is a description (alt line) for file 3, but 2 files are attached: attach that "
        "file too, or remove the extra `alt` line (one `alt:` line per file, in the order they "
        "are attached)."
    ]
    _, problems = attach_alts([], {1: "a"})
    assert "for file 1, but 0 files are attached" in problems[0]


def test_help_documents_the_alt_syntax() -> None:
    text = help_reply().text
    assert "alt text" in text
    assert "`alt: A bright room with six desks`" in text
    assert "`alt 2: …`" in text
